// extensionTestsPath module for the sample: the contract is run(): Promise<void>.
'use strict';
const path = require('path');
const { runMocha } = require(path.join(__dirname, '..', '..', 'mochaRunner.js'));

exports.run = () => runMocha({ dir: __dirname, timeout: 20000 });
