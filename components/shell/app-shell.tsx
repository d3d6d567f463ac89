'use client';

import * as Dialog from '@radix-ui/react-dialog';
import * as Menu from '@radix-ui/react-dropdown-menu';
import { ChevronDown, LogOut, Menu as MenuIcon, X } from 'lucide-react';
import { signOut } from 'next-auth/react';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState, type ReactNode } from 'react';
import { KillSwitch, KillSwitchBanner } from '@/components/deployments/kill-switch';
import { cn } from '@/components/ui/cn';
import { isActive, navItemsFor } from './nav';
import { ThemeIcon, useTheme } from './theme-toggle';

export interface ShellUser {
  username: string;
  role: 'admin' | 'user';
}

function NavLinks({ role, onNavigate }: { role: ShellUser['role']; onNavigate?: () => void }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex flex-col gap-0.5">
      {navItemsFor(role).map(({ href, label, icon: Icon }) => {
        const active = isActive(pathname, href);
        return (
          <Link
            key={href}
            href={href}
            onClick={onNavigate}
            aria-current={active ? 'page' : undefined}
            className={cn(
              'flex items-center gap-3 rounded-md px-3 py-2 text-sm transition-colors',
              active ? 'bg-panel-2 font-medium text-fg' : 'text-muted hover:bg-panel-2 hover:text-fg',
            )}
          >
            <Icon className="h-4 w-4" aria-hidden /> {label}
          </Link>
        );
      })}
    </nav>
  );
}

function Brand() {
  return (
    <Link href="/" className="flex items-center gap-2 px-3 text-base font-semibold">
      <img src="/favicon.svg" alt="" className="h-6 w-6" /> Cryptobot
    </Link>
  );
}

function UserMenu({ user }: { user: ShellUser }) {
  const [theme, toggleTheme] = useTheme();
  return (
    <Menu.Root>
      <Menu.Trigger asChild>
        <button type="button" className="flex items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-panel-2" aria-label="User menu">
          <span className="flex h-7 w-7 items-center justify-center rounded-full bg-accent text-xs font-semibold uppercase text-accent-fg">
            {user.username.slice(0, 2)}
          </span>
          <span className="hidden sm:inline">{user.username}</span>
          <ChevronDown className="h-4 w-4 text-muted" aria-hidden />
        </button>
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content align="end" sideOffset={6} className="z-50 min-w-52 rounded-md border border-border bg-panel p-1 text-sm shadow-lg">
          <div className="px-3 py-2">
            <div className="font-medium" data-testid="user-menu-username">
              {user.username}
            </div>
            <div className="text-xs text-muted" data-testid="user-menu-role">
              Role: {user.role}
            </div>
          </div>
          <Menu.Separator className="my-1 h-px bg-border" />
          <Menu.Item
            onSelect={(e) => {
              e.preventDefault();
              toggleTheme();
            }}
            className="flex cursor-pointer items-center gap-2 rounded px-3 py-2 outline-none data-[highlighted]:bg-panel-2"
          >
            <ThemeIcon theme={theme} /> {theme === 'dark' ? 'Light mode' : 'Dark mode'}
          </Menu.Item>
          <Menu.Item
            onSelect={() => void signOut({ callbackUrl: '/login' })}
            className="flex cursor-pointer items-center gap-2 rounded px-3 py-2 text-loss outline-none data-[highlighted]:bg-panel-2"
          >
            <LogOut className="h-4 w-4" aria-hidden /> Sign out
          </Menu.Item>
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}

export function AppShell({ user, children }: { user: ShellUser; children: ReactNode }) {
  const [drawerOpen, setDrawerOpen] = useState(false);
  return (
    <div className="flex min-h-dvh">
      <aside className="sticky top-0 hidden h-dvh w-56 shrink-0 flex-col gap-6 border-r border-border bg-panel py-4 md:flex">
        <Brand />
        <div className="px-2">
          <NavLinks role={user.role} />
        </div>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 flex h-14 items-center justify-between gap-2 border-b border-border bg-bg/90 px-3 backdrop-blur md:px-6">
          <div className="flex items-center gap-2 md:hidden">
            <Dialog.Root open={drawerOpen} onOpenChange={setDrawerOpen}>
              <Dialog.Trigger asChild>
                <button type="button" className="rounded-md p-2 hover:bg-panel-2" aria-label="Open navigation">
                  <MenuIcon className="h-5 w-5" aria-hidden />
                </button>
              </Dialog.Trigger>
              <Dialog.Portal>
                <Dialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
                <Dialog.Content className="fixed inset-y-0 left-0 z-50 flex w-64 flex-col gap-6 border-r border-border bg-panel py-4">
                  <Dialog.Title className="sr-only">Navigation</Dialog.Title>
                  <div className="flex items-center justify-between pr-2">
                    <Brand />
                    <Dialog.Close className="rounded-md p-2 hover:bg-panel-2" aria-label="Close navigation">
                      <X className="h-5 w-5" aria-hidden />
                    </Dialog.Close>
                  </div>
                  <div className="px-2">
                    <NavLinks role={user.role} onNavigate={() => setDrawerOpen(false)} />
                  </div>
                </Dialog.Content>
              </Dialog.Portal>
            </Dialog.Root>
            <Brand />
          </div>
          <div className="hidden md:block" />
          <div className="flex items-center gap-2">
            <KillSwitch isAdmin={user.role === 'admin'} />
            <UserMenu user={user} />
          </div>
        </header>
        <KillSwitchBanner isAdmin={user.role === 'admin'} />
        <main className="mx-auto w-full max-w-7xl flex-1 px-3 py-6 md:px-6">{children}</main>
      </div>
    </div>
  );
}
