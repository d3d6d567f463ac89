// Monaco's editor worker (diffs, links, word ranges), bundled from the pinned monaco-editor package: no CDN.
import 'monaco-editor/editor/editor.worker.js';
