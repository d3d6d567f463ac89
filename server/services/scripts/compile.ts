/**
 * TypeScript → JavaScript for the sandbox, with esbuild's transform (no type checking: the editor does that with
 * the SDK's declarations). Safe for the web app: it never runs the script. Errors come back as diagnostics with a
 * 1-based line, a 1-based column and a message.
 */
import * as esbuild from 'esbuild';

export interface ScriptDiagnostic {
  /** 1-based */
  readonly line: number;
  /** 1-based */
  readonly column: number;
  readonly message: string;
}

/** Bytes of source a script may have (under the JSON body limit, 64 KiB by default). */
export const MAX_SCRIPT_BYTES = 60_000;

export type CompileResult = { ok: true; js: string } | { ok: false; diagnostics: ScriptDiagnostic[] };

export async function compileScript(source: string): Promise<CompileResult> {
  if (Buffer.byteLength(source, 'utf8') > MAX_SCRIPT_BYTES)
    return { ok: false, diagnostics: [{ line: 1, column: 1, message: `a script may have at most ${MAX_SCRIPT_BYTES} bytes` }] };
  try {
    const result = await esbuild.transform(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'es2022',
      sourcefile: 'strategy.ts',
      logLevel: 'silent',
      // import() becomes a require() the sandbox refuses with a message naming the module
      supported: { 'dynamic-import': false },
      // class fields with [[Define]] semantics, as TypeScript emits them for ES2022
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: false } },
    });
    return { ok: true, js: result.code };
  } catch (error) {
    const failure = error as { errors?: esbuild.Message[] };
    if (!Array.isArray(failure.errors)) throw error;
    return { ok: false, diagnostics: failure.errors.map(diagnosticOf) };
  }
}

function diagnosticOf(message: esbuild.Message): ScriptDiagnostic {
  return { line: message.location?.line ?? 1, column: (message.location?.column ?? 0) + 1, message: message.text };
}
