import {
  Bell,
  Code2,
  Bot,
  ScrollText,
  BarChart3,
  CandlestickChart,
  Database,
  KeyRound,
  LayoutDashboard,
  ListOrdered,
  Settings,
  UserPlus,
  Wallet,
  Workflow,
} from 'lucide-react';

export const NAV_ITEMS = [
  { href: '/', label: 'Dashboard', icon: LayoutDashboard },
  { href: '/strategies', label: 'Strategies', icon: Workflow },
  { href: '/scripts', label: 'Scripts', icon: Code2 },
  { href: '/backtests', label: 'Backtests', icon: BarChart3 },
  { href: '/markets', label: 'Markets', icon: CandlestickChart },
  { href: '/data', label: 'Data', icon: Database },
  { href: '/deployments', label: 'Deployments', icon: Bot },
  { href: '/orders', label: 'Orders', icon: ListOrdered },
  { href: '/accounts', label: 'Accounts', icon: Wallet },
  { href: '/notifications', label: 'Notifications', icon: Bell },
  { href: '/keys', label: 'API keys', icon: KeyRound },
  { href: '/audit', label: 'Audit log', icon: ScrollText },
  { href: '/settings', label: 'Settings', icon: Settings },
  { href: '/admin/invites', label: 'Invites', icon: UserPlus, adminOnly: true },
] as const;

/** The items a user of this role sees (admin-only pages are hidden from everyone else). */
export function navItemsFor(role: 'admin' | 'user') {
  return NAV_ITEMS.filter((item) => !('adminOnly' in item) || role === 'admin');
}

export function isActive(pathname: string, href: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}
