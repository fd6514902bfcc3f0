import { describe, expect, it } from 'vitest';
import { allElements, parseXml } from '../support/xml.js';

describe('parseXml (test helper)', () => {
  it('parses a well-formed document into elements and attributes', () => {
    const root = parseXml('<?xml version="1.0"?><svg a="1"><g><path d="M0,0"/></g><text>x &amp; y</text></svg>');
    expect(allElements(root).map((e) => e.name)).toEqual(['svg', 'g', 'path', 'text']);
    expect(root.attributes).toEqual({ a: '1' });
  });

  it.each([
    ['an unclosed tag', '<svg><g></svg>'],
    ['a mismatched closing tag', '<a></b>'],
    ['an unquoted attribute', '<a b=1/>'],
    ['a bare ampersand', '<a>x & y</a>'],
    ['a duplicate attribute', '<a b="1" b="2"/>'],
    ['two roots', '<a/><b/>'],
  ])('rejects %s', (_, text) => {
    expect(() => parseXml(text)).toThrow(/not well-formed/);
  });
});
