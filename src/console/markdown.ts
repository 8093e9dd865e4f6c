// Package readmes as sanitised HTML (catalog.md): markdown-it with raw HTML off (a <script> or any
// tag is shown as text), images off (the console loads nothing from elsewhere: CSP img-src 'self'),
// and links only to http(s), mailto or relative targets (javascript:, data:, vbscript: ... render as
// plain text), opened without a referrer.
import { createRequire } from "node:module";
import type MarkdownIt from "markdown-it";

const SAFE_LINK = /^(?:https?:|mailto:|#|\/(?!\/)|\.{0,2}\/|[^:/?#]+(?:[/?#]|$))/i;

// Built by the first readme rendered (a package page), not at start-up: loading markdown-it cost
// every start ~90 ms of CPU and ~3 MB of RSS, and only package pages use it. Its CommonJS build is
// one file, loaded synchronously so rendering stays synchronous.
const load = createRequire(import.meta.url);
let md: MarkdownIt | undefined;
function renderer(): MarkdownIt {
  if (md) return md;
  const Markdown = load("markdown-it") as typeof MarkdownIt;
  const m = new Markdown({ html: false, linkify: false, typographer: false }).disable(["image"]);
  m.validateLink = (url: string): boolean => SAFE_LINK.test(url.trim());
  m.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
    tokens[idx]!.attrSet("rel", "nofollow noopener noreferrer");
    return self.renderToken(tokens, idx, options);
  };
  return (md = m);
}

/** The readme rendered for the package page; inert whatever it contains. */
export const renderReadme = (markdown: string): string => renderer().render(markdown);
