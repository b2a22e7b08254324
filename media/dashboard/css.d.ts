/** Stylesheets imported for their effect: esbuild writes them to media/dist/dashboard.css. */
declare module '*.css';
