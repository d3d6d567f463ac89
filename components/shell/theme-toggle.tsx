'use client';

import { Moon, Sun } from 'lucide-react';
import { useEffect, useState } from 'react';

export type Theme = 'dark' | 'light';

/** The theme on screen: the user's pick (html's class) or, without one, the system's scheme (globals.css). */
function currentTheme(): Theme {
  const classes = document.documentElement.classList;
  if (classes.contains('light')) return 'light';
  if (classes.contains('dark')) return 'dark';
  return window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

/**
 * Follows the system until the user flips it: then html's class holds the pick, remembered in a cookie the
 * root layout reads, so pages render in it.
 */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>('dark');
  useEffect(() => {
    setTheme(currentTheme());
    // No pick yet: a change of the system's scheme shows at once, and the menu's label follows it.
    const media = window.matchMedia('(prefers-color-scheme: light)');
    const follow = () => setTheme(currentTheme());
    media.addEventListener('change', follow);
    return () => media.removeEventListener('change', follow);
  }, []);
  const toggle = () => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    document.documentElement.classList.remove('dark', 'light');
    document.documentElement.classList.add(next);
    document.cookie = `theme=${next}; path=/; max-age=31536000; samesite=lax`;
    setTheme(next);
  };
  return [theme, toggle];
}

export function ThemeIcon({ theme }: { theme: Theme }) {
  return theme === 'dark' ? <Sun className="h-4 w-4" aria-hidden /> : <Moon className="h-4 w-4" aria-hidden />;
}
