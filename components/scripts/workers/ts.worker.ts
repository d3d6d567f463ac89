// Monaco's TypeScript worker (completions, type errors against the SDK's declarations), bundled from monaco-editor.
import 'monaco-editor/language/typescript/ts.worker.js';
