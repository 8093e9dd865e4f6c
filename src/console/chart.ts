// The dashboard's 24 h chart as numbers for an inline SVG: stacked command outcomes per hour and a
// line of agents online. Geometry is computed here so the template only places elements.
import type { HourPoint } from "../domain/dashboard.js";

const W = 480;
const H = 150;
const TOP = 10;
const BOTTOM = 20;
const BAR = 20;

export function chartView(points: HourPoint[]) {
  const plot = H - TOP - BOTTOM;
  const maxCommands = Math.max(1, ...points.map((p) => p.succeeded + p.failed));
  const maxAgents = Math.max(1, ...points.map((p) => p.agents));
  const y = (v: number, max: number) => TOP + plot - (v / max) * plot;
  const bars = points.map((p, i) => {
    const x = i * BAR + 2;
    const okH = (p.succeeded / maxCommands) * plot;
    const failH = (p.failed / maxCommands) * plot;
    const label = `${p.hour.slice(11, 13)}:00 UTC`;
    return {
      x, width: BAR - 4, okY: TOP + plot - okH, okH, failY: TOP + plot - okH - failH, failH,
      title: `${p.hour.slice(0, 10)} ${label}: ${p.succeeded} succeeded, ${p.failed} failed, ${p.agents} agents active`,
      // the first label starts at the left edge instead of centring on its bar, where it would be clipped
      tick: i % 6 === 0 ? (i === 0 ? { x, label, anchor: "start" } : { x: x + (BAR - 4) / 2, label, anchor: "middle" }) : null,
    };
  });
  const line = points.map((p, i) => `${i * BAR + BAR / 2},${y(p.agents, maxAgents).toFixed(1)}`).join(" ");
  const totals = points.reduce((a, p) => ({ ok: a.ok + p.succeeded, failed: a.failed + p.failed }), { ok: 0, failed: 0 });
  return {
    width: W, height: H, baseline: TOP + plot, bars, line, maxCommands, maxAgents,
    summary: `Last 24 hours: ${totals.ok} commands succeeded, ${totals.failed} failed; at most ${Math.max(0, ...points.map((p) => p.agents))} agents active in an hour.`,
  };
}
