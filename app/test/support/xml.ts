/** An element of a parsed XML document: its name, attributes and children (text is dropped). */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
}

const isNameChar = (c: string): boolean =>
  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '-' || c === '_' || c === ':' || c === '.';

/**
 * A tiny, strict, non-validating XML parser for tests: it throws on anything not well-formed
 * (unclosed or mismatched tags, unquoted or duplicate attributes, a bare `&` or `<` in text or values,
 * several roots) and returns the root element. Enough to check that a generated SVG is valid XML.
 */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at ${i}: ${why}`);
  };
  const expectText = (s: string): void => {
    if (!text.startsWith(s, i)) fail(`expected ${JSON.stringify(s)}`);
    i += s.length;
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  };
  const name = (): string => {
    const start = i;
    while (i < text.length && isNameChar(text[i] as string)) i++;
    if (i === start) fail('expected a name');
    return text.slice(start, i);
  };
  const checkEntities = (s: string): void => {
    for (let k = s.indexOf('&'); k !== -1; k = s.indexOf('&', k + 1)) {
      const end = s.indexOf(';', k);
      const entity = end === -1 ? '' : s.slice(k + 1, end);
      const named = ['amp', 'lt', 'gt', 'quot', 'apos'].includes(entity);
      const numeric = /^#(\d+|x[0-9a-fA-F]+)$/.test(entity);
      if (!named && !numeric) fail(`bad entity in ${JSON.stringify(s.slice(k, k + 10))}`);
    }
    if (s.includes('<')) fail('a bare < in text or value');
  };
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end === -1) fail('unclosed processing instruction');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end === -1) fail('unclosed comment');
        i = end + 3;
      } else if (text.startsWith('<!DOCTYPE', i)) {
        const end = text.indexOf('>', i);
        i = end + 1;
      } else return;
    }
  };
  const element = (): XmlElement => {
    expectText('<');
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = i;
      skipSpace();
      if (text.startsWith('/>', i)) {
        i += 2;
        return { name: tag, attributes, children: [] };
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected a space before an attribute');
      const key = name();
      if (key in attributes) fail(`duplicate attribute ${key}`);
      skipSpace();
      expectText('=');
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail('unquoted attribute value');
      const end = text.indexOf(quote as string, i + 1);
      if (end === -1) fail('unclosed attribute value');
      const value = text.slice(i + 1, end);
      checkEntities(value);
      attributes[key] = value;
      i = end + 1;
    }
    const children: XmlElement[] = [];
    for (;;) {
      const next = text.indexOf('<', i);
      if (next === -1) fail(`unclosed <${tag}>`);
      checkEntities(text.slice(i, next));
      i = next;
      if (text.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        skipSpace();
        expectText('>');
        return { name: tag, attributes, children };
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end === -1) fail('unclosed comment');
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end === -1) fail('unclosed CDATA');
        i = end + 3;
      } else children.push(element());
    }
  };

  skipMisc();
  const root = element();
  skipMisc();
  if (i !== text.length) fail('content after the root element');
  return root;
}

/** Every element of the tree, depth first. */
export const allElements = (root: XmlElement): XmlElement[] => [root, ...root.children.flatMap(allElements)];
