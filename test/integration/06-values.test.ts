// Values as documents (prontodb: FileSystemProvider): edit + save, and VS Code's conflict flow.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { closeAllEditors, cliGet, cliOk, getApi, nodeAt, poll, standalone, withStubs } from './helpers';

async function replaceAll(document: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), text);
  assert.equal(await vscode.workspace.applyEdit(edit), true);
}

describe('value documents', () => {
  standalone('06-values');
  before(async () => {
    // VS Code for the Web (code-server) defaults files.autoSave to afterDelay; desktop to off. With
    // auto save the edit would be saved before the CLI's write, and no conflict could be staged.
    assert.equal(vscode.workspace.getConfiguration('files').get('autoSave'), 'off', 'the harness turns auto save off');
    await cliOk(['set', 'notes.doc.readme', 'hello world']);
    await cliOk(['set', 'notes.doc.readme__draft', 'draft text']);
  });
  after(closeAllEditors);

  it('openValue opens a key as a prontodb: document showing its value', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('main', 'notes', 'doc', 'readme__draft'));
    assert.ok(editor, 'openValue returns the editor');
    assert.equal(editor.document.uri.scheme, 'prontodb');
    assert.equal(editor.document.uri.path, '/main/notes/doc/readme__draft');
    assert.equal(editor.document.getText(), 'draft text');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), editor.document.uri.toString());
  });

  it('editing and saving writes the value back (the CLI reads it)', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('main', 'notes', 'doc', 'readme'));
    const { document } = editor;
    assert.equal(document.getText(), 'hello world');
    await replaceAll(document, 'hello from VS Code\nsecond line');
    assert.equal(document.isDirty, true);
    assert.equal(await document.save(), true);
    assert.equal(document.isDirty, false);
    assert.equal(await cliGet('notes.doc.readme'), 'hello from VS Code\nsecond line');
    // And once more (two saves within one second must both land).
    await replaceAll(document, 'third version');
    assert.equal(await document.save(), true);
    assert.equal(await cliGet('notes.doc.readme'), 'third version');
  });

  it('a save over a value the CLI changed meanwhile is refused (VS Code conflict flow), not overwritten', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('main', 'notes', 'doc', 'readme'));
    const { document } = editor;
    assert.equal(document.getText(), 'third version');
    await replaceAll(document, 'my unsaved edit in the editor');
    assert.equal(document.isDirty, true);
    await cliOk(['set', 'notes.doc.readme', 'the CLI wrote this meanwhile']); // another length
    const saved = await withStubs((s) => s.quietMessages(), async () => document.save());
    assert.equal(await cliGet('notes.doc.readme'), 'the CLI wrote this meanwhile', 'the stored value is still the CLI\'s');
    assert.equal(saved, false, 'save() reports the refusal');
    assert.equal(document.isDirty, true, 'the edit is kept in the editor');
    // Revert takes the stored value.
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await poll('the reverted text', () => document.getText() === 'the CLI wrote this meanwhile' && !document.isDirty);
  });

  it('also when the other process wrote a value of the same size (which VS Code\'s own check cannot see)', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue', await nodeAt('main', 'notes', 'doc', 'readme'));
    const { document } = editor;
    const loaded = document.getText();
    assert.equal(loaded, 'the CLI wrote this meanwhile');
    await replaceAll(document, 'an edit of mine');
    const sameSize = 'THE CLI WROTE THIS MEANWHILE';
    assert.equal(sameSize.length, loaded.length);
    await cliOk(['set', 'notes.doc.readme', sameSize]);
    const saved = await withStubs((s) => s.quietMessages(), async () => document.save());
    assert.equal(await cliGet('notes.doc.readme'), sameSize, 'the stored value is still the CLI\'s');
    assert.equal(saved, false, 'save() reports the refusal');
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await poll('the reverted text', () => document.getText() === sameSize);
    // After the revert the editor holds the new value, so a save goes through again.
    await replaceAll(document, 'now it may be saved');
    assert.equal(await document.save(), true);
    assert.equal(await cliGet('notes.doc.readme'), 'now it may be saved');
  });

  it('openValue from the palette asks for an address and opens that value', async () => {
    const { service } = await getApi();
    assert.equal(service.target().databaseName, 'main');
    const editor = await withStubs((s) => s.inputs('notes.doc.readme__draft').quietMessages(), async () =>
      vscode.commands.executeCommand<vscode.TextEditor>('prontodb.openValue'));
    assert.equal(editor?.document.getText(), 'draft text');
    assert.match(editor!.document.uri.query, /db=main/);
  });
});
