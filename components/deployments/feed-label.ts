import { formatCount } from '@/components/format';

/** "3,600×" for a speed; "real time" for 1. */
export function speedLabel(speed: number | null): string {
  if (speed === null) return '';
  return speed === 1 ? 'real time' : `${formatCount(speed)}×`;
}

/** "replay · 36,000×", "live", "simulated · real time". */
export function feedLabel(feed: { type: string; speed: number | null }): string {
  return feed.type === 'live' ? 'live' : `${feed.type} · ${speedLabel(feed.speed)}`;
}
