"""A page parsed by lexbor (selectolax), a WHATWG HTML parser written in C, into the element
tree html5lib builds (see `html_page`), for the pages `html_gate` lets through.
Imported only when such a page must be parsed: it loads selectolax.

The tree is html5lib's etree shape: the `html` element without namespaces, attributes as
given (a valueless one is ""), text in `text` and `tail`. Comments (and the `<?...>` lexbor
keeps as processing instructions, which html5lib reads as comments) are kept as empty
comment nodes: where they stand splits the text around them, as in html5lib, but what they
say is never read.
"""

from __future__ import annotations

from xml.etree.ElementTree import Comment, Element

from selectolax.lexbor import LexborHTMLParser, LexborNode


def parse_lexbor(text: str) -> Element:
    """`text` parsed by lexbor into html5lib's etree shape (no namespaces)."""
    html = LexborHTMLParser(text).root
    root = Element(html.tag, _attributes(html))
    _copy_children(html, root)
    return root


def _attributes(node: LexborNode) -> dict[str, str]:
    return {name: "" if value is None else value for name, value in node.attributes.items()}


def _copy_children(node: LexborNode, element: Element) -> None:
    """Copy the subtree under `node` into `element`, without recursion (pages nest deep)."""
    pending = [(node.child, element)]
    while pending:
        child, parent = pending.pop()
        while child is not None:
            if child.is_text_node:
                _add_text(parent, child.text_content)
            elif child.is_element_node:
                copy = Element(child.tag, _attributes(child))
                parent.append(copy)
                if child.child is not None:
                    pending.append((child.next, parent))
                    child, parent = child.child, copy
                    continue
            else:
                parent.append(Comment())
            child = child.next


def _add_text(parent: Element, data: str) -> None:
    """Text goes after the last child, or into the parent when it has none yet."""
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + data
    else:
        parent.text = (parent.text or "") + data
