import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Every ```ts block in the README and docs/*.md is type-checked against the sources, as a module of its own,
// with the project's compiler options: a block a user pastes must compile, imports included. A block that is
// deliberately incomplete says so with the info string `ts fragment` (CONTRIBUTING.md) and is not checked.
// Pure: the compiler only, no tensors; one program for all blocks, built once.

const root = fileURLToPath(new URL('../../', import.meta.url));
// docs/checkpoints.md is being rewritten with the checkpoint storage: its blocks join once they compile or
// are marked `ts fragment`.
const documents = ['README.md', 'CONTRIBUTING.md', ...readdirSync(`${root}docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface CodeBlock {
  readonly document: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's info string: `ts`, `ts fragment`, `sh`, ... */
  readonly info: string;
  readonly code: string;
}

/** The fenced blocks of a Markdown text, with their info strings (fences of three or more backticks). */
const codeBlocksOf = (document: string, text: string): CodeBlock[] => {
  const blocks: CodeBlock[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith(open[1]!) && l.trim() === open[1]);
    const close = end === -1 ? lines.length : end;
    blocks.push({ document, line: i + 1, info: open[2]!.trim(), code: lines.slice(i + 1, close).join('\n') });
    i = close;
  }
  return blocks;
};

const isTypeScript = (b: CodeBlock) => /^(ts|typescript)(\s|$)/.test(b.info);
const isFragment = (b: CodeBlock) => b.info.split(/\s+/).includes('fragment');

const blocks = documents.flatMap((d) => codeBlocksOf(d, readFileSync(`${root}${d}`, 'utf8')));
const checked = blocks.filter((b) => isTypeScript(b) && !isFragment(b));

/** Where a block pretends to live: beside the README, so that the package's own names resolve as in examples/. */
const virtualPath = (b: CodeBlock) => `${root}__codeblock__${b.document.replace(/[/.]/g, '_')}_${b.line}.ts`;

/** The compiler's diagnostics for each checked block, by its virtual path. */
const diagnosticsOfBlocks = (): Map<string, string[]> => {
  const config = ts.readConfigFile(`${root}tsconfig.json`, (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const sources = new Map(checked.map((b) => [virtualPath(b), b.code]));
  const host = ts.createCompilerHost({ ...options, noEmit: true });
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (p) => sources.has(p) || fileExists.call(host, p);
  host.readFile = (p) => sources.get(p) ?? readFile.call(host, p);
  host.getSourceFile = (p, language, ...rest) => {
    const code = sources.get(p);
    return code === undefined ? getSourceFile.call(host, p, language, ...rest) : ts.createSourceFile(p, code, language, true);
  };
  const program = ts.createProgram({ rootNames: [...sources.keys()], options: { ...options, noEmit: true }, host });
  const format = (d: ts.Diagnostic) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${where ? `line ${where.line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  };
  return new Map(
    [...sources.keys()].map((p) => {
      const file = program.getSourceFile(p);
      return [p, file === undefined ? ['not compiled'] : [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map(format)];
    }),
  );
};

describe('code blocks in the README and docs', () => {
  it('finds the TypeScript blocks of the README and the guide, and the fragments marked as such', () => {
    const where = (b: CodeBlock) => b.document;
    expect(checked.map(where)).toEqual(expect.arrayContaining(['README.md', 'docs/guide.md', 'docs/concepts.md', 'docs/monitoring.md']));
    expect(blocks.filter(isFragment).map(where)).toEqual(expect.arrayContaining(['docs/testing.md']));
  });

  it('every ```ts block not marked `fragment` type-checks against the sources as pasted, imports included', () => {
    const diagnostics = diagnosticsOfBlocks();
    const failing = checked
      .map((b) => ({ block: `${b.document}:${b.line}`, errors: diagnostics.get(virtualPath(b)) ?? [] }))
      .filter((f) => f.errors.length > 0);
    expect(failing).toEqual([]);
  });

  it('every block that looks like TypeScript says so: no ``` block without a language holds an import', () => {
    const unlabelled = blocks.filter((b) => b.info === '' && /^\s*import\s/m.test(b.code)).map((b) => `${b.document}:${b.line}`);
    expect(unlabelled).toEqual([]);
  });
});

describe('README.md', () => {
  it('stays within 150 lines', () => {
    expect(readFileSync(`${root}README.md`, 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(150);
  });
});
