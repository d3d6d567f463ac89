'use client';

import { useMutation } from '@tanstack/react-query';
import { signIn } from 'next-auth/react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field, Input } from '@/components/ui/input';
import { ErrorState } from '@/components/ui/states';
import { ZRegisterRequestSchema } from '@/server/api/schemas/auth';

export function RegisterForm() {
  const router = useRouter();
  const trpc = useTRPC();
  const register = useMutation(trpc.auth.register.mutationOptions());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = { username: String(form.get('username') ?? ''), password: String(form.get('password') ?? '') };
    setFormError(null);
    // The same schema the server enforces, checked first so the user sees field errors at once.
    const parsed = ZRegisterRequestSchema.safeParse(input);
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
      return;
    }
    setErrors({});
    try {
      await register.mutateAsync(parsed.data);
    } catch (error) {
      const fields = fieldErrors(error);
      if (Object.keys(fields).length) setErrors(fields);
      else setFormError((error as Error).message || 'Could not create the account.');
      return;
    }
    const result = await signIn('credentials', { ...parsed.data, redirect: false });
    if (!result || result.error) {
      router.replace('/login?registered=1');
      return;
    }
    router.replace('/');
    router.refresh();
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">Create an account</CardTitle>
        <p className="text-sm text-muted">The first account on a new installation becomes its admin.</p>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <Field id="username" label="Username" error={errors.username} hint="3–32 characters: a-z, 0-9, _ and -">
            <Input id="username" name="username" autoComplete="username" autoCapitalize="none" aria-invalid={!!errors.username} required />
          </Field>
          <Field id="password" label="Password" error={errors.password} hint="At least 10 characters">
            <Input id="password" name="password" type="password" autoComplete="new-password" aria-invalid={!!errors.password} required />
          </Field>
          {formError ? <ErrorState title="Registration failed" message={formError} /> : null}
          <Button type="submit" className="w-full" disabled={register.isPending}>
            {register.isPending ? 'Creating…' : 'Create account'}
          </Button>
        </form>
        <p className="mt-4 text-center text-sm text-muted">
          Have an account?{' '}
          <Link href="/login" className="text-accent hover:underline">
            Sign in
          </Link>
        </p>
      </CardContent>
    </Card>
  );
}
