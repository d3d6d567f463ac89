import type { Metadata, Viewport } from 'next';
import { cookies } from 'next/headers';
import type { ReactNode } from 'react';
import { TrpcReactProvider } from '@/components/trpc/client';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Cryptobot', template: '%s · Cryptobot' },
  description: 'Backtest, paper-trade and deploy crypto trading strategies.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#f7f8fa' },
    { media: '(prefers-color-scheme: dark)', color: '#0b0e14' },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The user's pick, if they made one; otherwise no class, and globals.css follows the system's scheme.
  const chosen = (await cookies()).get('theme')?.value;
  const theme = chosen === 'light' || chosen === 'dark' ? chosen : undefined;
  return (
    <html lang="en" className={theme}>
      <body className="min-h-dvh">
        <TrpcReactProvider>{children}</TrpcReactProvider>
      </body>
    </html>
  );
}
