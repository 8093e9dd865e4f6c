// Package readmes as sanitised HTML (catalog.md): markdown-it with raw HTML off (a <script> or any
// tag is shown as text), images off (the console loads nothing from elsewhere: CSP img-src 'self'),
// and links only to http(s), mailto or relative targets (javascript:, data:, vbscript: ... render as
// plain text), opened without a referrer.
import MarkdownIt from "markdown-it";

const SAFE_LINK = /^(?:https?:|mailto:|#|\/(?!\/)|\.{0,2}\/|[^:/?#]+(?:[/?#]|$))/i;

const md = new MarkdownIt({ html: false, linkify: false, typographer: false }).disable(["image"]);
md.validateLink = (url: string): boolean => SAFE_LINK.test(url.trim());
md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  tokens[idx]!.attrSet("rel", "nofollow noopener noreferrer");
  return self.renderToken(tokens, idx, options);
};

/** The readme rendered for the package page; inert whatever it contains. */
export const renderReadme = (markdown: string): string => md.render(markdown);
