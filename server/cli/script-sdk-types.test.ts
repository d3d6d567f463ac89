import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SDK_DECLARATION_FILES } from '@/server/core/scripts/sdk-types-source';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { sdkDeclarationFiles } from '@/server/cli/script-sdk-types-module';

const ROOT = '/node_modules/@cryptobot/sdk/';

/** Type errors of `source` checked against the generated declarations only, as the editor's TypeScript sees it. */
function typeErrors(source: string): { line: number; message: string }[] {
  const files = new Map<string, string>(Object.entries(SDK_DECLARATION_FILES).map(([file, text]) => [ROOT + file, text]));
  files.set('/strategy.ts', source);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const libDir = host.getDefaultLibLocation!();
  const read = (name: string) => files.get(name) ?? (name.startsWith(libDir) ? ts.sys.readFile(name) : undefined);
  host.getCurrentDirectory = () => '/';
  host.fileExists = (name) => read(name) !== undefined;
  host.readFile = read;
  host.getSourceFile = (name, version) => {
    const text = read(name);
    return text === undefined ? undefined : ts.createSourceFile(name, text, version);
  };
  host.directoryExists = (dir) => dir === '/' || [...files.keys()].some((f) => f.startsWith(dir.endsWith('/') ? dir : `${dir}/`)) || dir.startsWith(libDir);
  const program = ts.createProgram(['/strategy.ts'], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ({
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
}

describe("the SDK's declarations for the editor", () => {
  it('sdk-types-source.ts is current (npx tsx server/cli/script-sdk-types.ts)', () => {
    expect(SDK_DECLARATION_FILES, 'regenerate after changing anything the SDK exports').toEqual(sdkDeclarationFiles(process.cwd()));
    // a whole-program declaration emit: seconds alone, tens of seconds on a loaded machine
  }, 120_000);

  it.each(SCRIPT_TEMPLATES.map((t) => [t.type, t.source]))('the %s template type-checks against them with no error', (_type, source) => {
    expect(typeErrors(source)).toEqual([]);
  });

  it('a script that misuses the SDK gets the type error on its line', () => {
    const source = SCRIPT_TEMPLATES.find((t) => t.type === 'sma_crossover')!.source.replace(
      'this.sums.push(series.close[i]!);',
      "this.sums.push('not a number');",
    );
    const errors = typeErrors(source);
    const line = source.split('\n').findIndex((l) => l.includes("'not a number'")) + 1;
    expect(errors, 'one error, on the changed line').toEqual([
      { line, message: expect.stringContaining("'string' is not assignable to parameter of type 'number'") },
    ]);
  });
});
