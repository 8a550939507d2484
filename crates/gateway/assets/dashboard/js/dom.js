// DOM building without HTML strings: every piece of text (model names, request bodies, error
// messages, all of it untrusted) becomes a text node, never markup. Nothing in the dashboard
// assigns innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Appends children: strings and numbers as text nodes, arrays flattened, null/false skipped. */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/**
 * Sets attributes: `class`, `dataset` (an object), `onX` listeners, booleans as presence, the
 * rest with setAttribute. `style` is refused: the CSP forbids inline style attributes, so data
 * driven sizes go through `el.style.prop` instead.
 */
function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'style' || name === 'innerHTML') {
      throw new Error(`dom.js: refusing to set ${name}`);
    } else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  return el;
}

/** `h('td', {class: 'num'}, '42')`: an HTML element. */
export function h(tag, attrs, ...children) {
  return append(setAttributes(document.createElement(tag), attrs), children);
}

/** An SVG element (charts). */
export function s(tag, attrs, ...children) {
  return append(setAttributes(document.createElementNS(SVG_NS, tag), attrs), children);
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}
