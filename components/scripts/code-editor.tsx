'use client';

/**
 * Monaco over one script's source, client only (the script editor loads this file with next/dynamic, ssr: false).
 * Monaco and its two workers come from the pinned monaco-editor package, bundled by our build: no CDN, no network.
 * The SDK's declarations (tRPC scripts.sdkTypes, generated from server/core/scripts/sdk.ts) are extra libs under
 * node_modules/@cryptobot/sdk, so `import … from '@cryptobot/sdk'` completes and type-checks as in the repository.
 * The server's save diagnostics are a second marker owner beside TypeScript's own.
 */
import * as monaco from 'monaco-editor';
import { useEffect, useRef } from 'react';

export interface ServerDiagnostic {
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  message: string;
}

/** A marker as the page lists it (TypeScript's and the server's). */
export interface EditorMarker {
  line: number;
  column: number;
  message: string;
  source: 'typescript' | 'server';
}

const SERVER_OWNER = 'cryptobot-save';

declare global {
  interface Window {
    MonacoEnvironment?: monaco.Environment;
  }
}

let configuredSdk: string | null = null;

function configure(sdk: { root: string; files: Record<string, string> }) {
  window.MonacoEnvironment = {
    getWorker(_workerId, label) {
      if (label === 'typescript' || label === 'javascript')
        return new Worker(new URL('./workers/ts.worker.ts', import.meta.url), { type: 'module', name: 'monaco-typescript' });
      return new Worker(new URL('./workers/editor.worker.ts', import.meta.url), { type: 'module', name: 'monaco-editor' });
    },
  };
  const key = JSON.stringify(Object.keys(sdk.files));
  if (configuredSdk === key) return;
  configuredSdk = key;
  const ts = monaco.typescript;
  ts.typescriptDefaults.setCompilerOptions({
    target: ts.ScriptTarget.ES2020,
    // the sandbox has the language, no DOM and no Node: the editor offers what the script can use
    lib: ['es2023'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.NodeJs,
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    allowNonTsExtensions: true,
  });
  ts.typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false });
  ts.typescriptDefaults.setExtraLibs(Object.entries(sdk.files).map(([file, content]) => ({ content, filePath: `${sdk.root}/${file}` })));
}

export default function CodeEditor({
  modelKey,
  value,
  revision,
  readOnly,
  sdk,
  diagnostics,
  onChange,
  onMarkers,
  onReady,
  reveal,
}: {
  /** one model per script (file:///scripts/<id>.ts), so TypeScript checks it as a module of its own */
  modelKey: string;
  /** the text to show when mounted, and whenever `revision` changes */
  value: string;
  /** bumped by the page when it loads another text into the editor */
  revision: number;
  readOnly: boolean;
  sdk: { root: string; files: Record<string, string> };
  /** the server's answer to the last save, shown as error markers */
  diagnostics: readonly ServerDiagnostic[];
  onChange: (source: string) => void;
  onMarkers: (markers: EditorMarker[]) => void;
  onReady?: () => void;
  /** move the cursor here (a click in the problem list); `seq` makes the same place requestable twice */
  reveal?: { line: number; column: number; seq: number } | null;
}) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const callbacks = useRef({ onChange, onMarkers, onReady });
  callbacks.current = { onChange, onMarkers, onReady };

  useEffect(() => {
    if (!host.current) return;
    configure(sdk);
    const uri = monaco.Uri.parse(`file:///scripts/${modelKey}.ts`);
    const model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(value, 'typescript', uri);
    if (model.getValue() !== value) model.setValue(value);
    const dark = document.documentElement.classList.contains('dark');
    const instance = monaco.editor.create(host.current, {
      model,
      theme: dark ? 'vs-dark' : 'vs',
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      tabSize: 2,
      scrollBeyondLastLine: false,
      fixedOverflowWidgets: true,
      readOnly,
      ariaLabel: 'Strategy source (TypeScript)',
    });
    editor.current = instance;
    const changes = model.onDidChangeContent(() => callbacks.current.onChange(model.getValue()));
    const publish = () =>
      callbacks.current.onMarkers(
        monaco.editor
          .getModelMarkers({ resource: uri })
          .filter((m) => m.severity === monaco.MarkerSeverity.Error)
          .map((m) => ({ line: m.startLineNumber, column: m.startColumn, message: m.message, source: m.owner === SERVER_OWNER ? 'server' : 'typescript' })),
      );
    const markers = monaco.editor.onDidChangeMarkers((uris) => {
      if (uris.some((u) => u.toString() === uri.toString())) publish();
    });
    callbacks.current.onReady?.();
    return () => {
      markers.dispose();
      changes.dispose();
      instance.dispose();
      editor.current = null;
    };
    // The model is the source of truth while mounted; `value` below only replaces it when the page loads another text.
  }, [modelKey, sdk]);

  // Replaces the text only when the page loads another one (`revision` changes: a version opened, a template picked),
  // never on an echo of the typing, which can be a keystroke behind (setValue would move the cursor to the start).
  const latestValue = useRef(value);
  latestValue.current = value;
  useEffect(() => {
    const model = editor.current?.getModel();
    if (model && model.getValue() !== latestValue.current) model.setValue(latestValue.current);
  }, [revision]);

  useEffect(() => {
    editor.current?.updateOptions({ readOnly });
  }, [readOnly]);

  useEffect(() => {
    const model = editor.current?.getModel();
    if (!model) return;
    monaco.editor.setModelMarkers(
      model,
      SERVER_OWNER,
      diagnostics.map((d) => ({
        severity: monaco.MarkerSeverity.Error,
        message: d.message,
        startLineNumber: d.line,
        startColumn: d.column,
        endLineNumber: d.line,
        endColumn: model.getLineMaxColumn(Math.min(Math.max(d.line, 1), model.getLineCount())),
      })),
    );
  }, [diagnostics]);

  useEffect(() => {
    const instance = editor.current;
    if (!instance || !reveal) return;
    instance.revealLineInCenter(reveal.line);
    instance.setPosition({ lineNumber: reveal.line, column: reveal.column });
    instance.focus();
  }, [reveal]);

  return <div ref={host} className="h-full min-h-[20rem] w-full" data-testid="code-editor" />;
}
