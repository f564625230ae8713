/** Nest injection tokens of the feed service. */
export const FEED_CONTEXT = Symbol('enlace.feed.context');
