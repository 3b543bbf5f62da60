// Stylesheets are bundled by esbuild (tools/build-console.js); importing one yields nothing.
declare module '*.css';
