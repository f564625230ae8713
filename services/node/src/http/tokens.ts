/** Injection tokens of the node's Nest module (explicit, so DI never relies on emitted metadata). */
export const NODE_CONTEXT = Symbol.for('enlace.node.context');
