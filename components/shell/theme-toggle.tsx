'use client';

import { Moon, Sun } from 'lucide-react';
import { useEffect, useState } from 'react';

export type Theme = 'dark' | 'light';

/** Flips html's class and remembers the choice in a cookie the root layout reads, so pages render in it. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>('dark');
  useEffect(() => setTheme(document.documentElement.classList.contains('light') ? 'light' : 'dark'), []);
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
