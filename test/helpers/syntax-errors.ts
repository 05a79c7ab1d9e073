import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

/**
 * Syntax check with a tree-sitter grammar (the prebuilt ones in tree-sitter-wasms): where nothing
 * here compiles Swift or Kotlin, a parse without ERROR or MISSING nodes is what can be checked.
 */
export type GrammarName = 'swift' | 'kotlin';

const parsers = new Map<GrammarName, Promise<Parser>>();

async function loadParser(grammar: GrammarName): Promise<Parser> {
  await Parser.init();
  const wasm = createRequire(import.meta.url).resolve(`tree-sitter-wasms/out/tree-sitter-${grammar}.wasm`);
  const parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
  return parser;
}

function parserFor(grammar: GrammarName): Promise<Parser> {
  let parser = parsers.get(grammar);
  if (!parser) parsers.set(grammar, (parser = loadParser(grammar)));
  return parser;
}

/** `line:column ERROR <text>` or `line:column MISSING <kind>` for each syntax error, [] when the source parses cleanly. */
export async function syntaxErrors(grammar: GrammarName, source: string): Promise<string[]> {
  const tree = (await parserFor(grammar)).parse(source);
  if (!tree) throw new Error(`tree-sitter-${grammar} returned no tree`);
  const errors: string[] = [];
  // Only subtrees flagged hasError can hold an error node: the clean bulk of the file is skipped.
  const visit = (node: Node): void => {
    const at = `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
    if (node.isMissing) errors.push(`${at} MISSING ${node.type}`);
    else if (node.isError) errors.push(`${at} ERROR ${node.text.slice(0, 80)}`);
    else if (node.hasError) for (const child of node.children) if (child) visit(child);
  };
  visit(tree.rootNode);
  tree.delete();
  return errors;
}
