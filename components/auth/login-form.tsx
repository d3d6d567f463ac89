'use client';

import { signIn } from 'next-auth/react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field, Input } from '@/components/ui/input';
import { ErrorState } from '@/components/ui/states';

/** What the form says for next-auth's error code (server/auth/next-auth.ts authorize). */
function signInErrorMessage(code: string | null | undefined): string {
  if (code === 'TooManyAttempts') return 'Too many failed attempts. Wait a few minutes and try again.';
  if (code === 'InvalidText:username' || code === 'InvalidText:password')
    return `The ${code.slice('InvalidText:'.length)} contains a control character or an unpaired surrogate: type it again.`;
  return 'Invalid username or password.';
}

/** `demo`: the server has the demo login (seeded by `npm start`); the form says where its password is. */
export function LoginForm({ callbackUrl, registered, demo = false }: { callbackUrl: string; registered: boolean; demo?: boolean }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    try {
      const result = await signIn('credentials', {
        username: String(form.get('username') ?? ''),
        password: String(form.get('password') ?? ''),
        redirect: false,
      });
      if (!result || result.error) {
        setError(signInErrorMessage(result?.error));
        return;
      }
      router.replace(callbackUrl);
      router.refresh();
    } catch {
      setError('Could not reach the server. Check your connection and try again.');
    } finally {
      setPending(false);
    }
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">Sign in</CardTitle>
        {registered ? <p className="text-sm text-gain">Account created. Sign in to continue.</p> : null}
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <Field id="username" label="Username">
            <Input id="username" name="username" autoComplete="username" autoCapitalize="none" required />
          </Field>
          <Field id="password" label="Password">
            <Input id="password" name="password" type="password" autoComplete="current-password" required />
          </Field>
          {error ? <ErrorState title="Sign-in failed" message={error} /> : null}
          <Button type="submit" className="w-full" disabled={pending}>
            {pending ? 'Signing in…' : 'Sign in'}
          </Button>
        </form>
        {demo ? (
          <p data-testid="demo-hint" className="mt-4 rounded-md bg-panel-2 p-3 text-xs text-muted">
            Trying the demo? Sign in as <span className="font-mono text-fg">demo</span>. Its password is printed by <span className="font-mono">npm start</span>{' '}
            in the terminal (the line starting “demo admin”) and kept in <span className="font-mono">.data/secrets.json</span> as{' '}
            <span className="font-mono">DEMO_PASSWORD</span>.
          </p>
        ) : null}
        <p className="mt-4 text-center text-sm text-muted">
          No account?{' '}
          <Link href="/register" className="text-accent hover:underline">
            Create one
          </Link>
        </p>
      </CardContent>
    </Card>
  );
}
