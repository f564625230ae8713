/**
 * What the node shows next to an alert's handling code. The enum names themselves (`route`,
 * `H1`, `amber`) are @enlace/schema's (kindName, handlingName, tlpName).
 */

/** What H1 means, shown with every H1 alert the node outputs. */
export const H1_NOTICE = "H1: not for use in judicial proceedings without the originator's consent";
