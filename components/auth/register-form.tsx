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
import { ZRegisterRequestSchema, type RegistrationStatusResponse } from '@/server/api/schemas/auth';

export function RegisterForm({ status, invite }: { status: RegistrationStatusResponse; invite?: string }) {
  const router = useRouter();
  const trpc = useTRPC();
  const register = useMutation(trpc.auth.register.mutationOptions());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const inviteCode = String(form.get('inviteCode') ?? '').trim();
    const input = { username: String(form.get('username') ?? ''), password: String(form.get('password') ?? ''), ...(inviteCode ? { inviteCode } : {}) };
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
    const result = await signIn('credentials', { username: parsed.data.username, password: parsed.data.password, redirect: false });
    if (!result || result.error) {
      router.replace('/login?registered=1');
      return;
    }
    router.replace('/');
    router.refresh();
  }

  const signInLink = (
    <p className="mt-4 text-center text-sm text-muted">
      Have an account?{' '}
      <Link href="/login" className="text-accent hover:underline">
        Sign in
      </Link>
    </p>
  );
  if (status.mode === 'closed' && !status.firstAccount) {
    return (
      <Card>
        <CardHeader>
          <CardTitle className="text-base">Registration is closed</CardTitle>
        </CardHeader>
        <CardContent>
          <p role="status" className="text-sm text-muted">
            This server does not accept new accounts. Ask its operator for an account.
          </p>
          {signInLink}
        </CardContent>
      </Card>
    );
  }
  const needsInvite = status.mode === 'invite' && !status.firstAccount;
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">Create an account</CardTitle>
        <p className="text-sm text-muted">
          {status.firstAccount
            ? 'This is a new installation: the first account becomes its admin.'
            : invite
              ? 'You were invited: choose a username and a password.'
              : needsInvite
                ? 'Registration on this server needs an invite: open the invite link an admin gave you, or paste its code below.'
                : 'The first account on a new installation becomes its admin.'}
        </p>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <Field id="username" label="Username" error={errors.username} hint="3–32 characters: a-z, 0-9, _ and -">
            <Input id="username" name="username" autoComplete="username" autoCapitalize="none" aria-invalid={!!errors.username} required />
          </Field>
          <Field id="password" label="Password" error={errors.password} hint="At least 10 characters">
            <Input id="password" name="password" type="password" autoComplete="new-password" aria-invalid={!!errors.password} required />
          </Field>
          {needsInvite || invite ? (
            <Field
              id="inviteCode"
              label="Invite code"
              error={errors.inviteCode}
              hint={invite ? 'From your invite link' : 'The code at the end of your invite link (…?invite=CODE)'}
            >
              <Input
                id="inviteCode"
                name="inviteCode"
                defaultValue={invite ?? ''}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                aria-invalid={!!errors.inviteCode}
                required={needsInvite}
              />
            </Field>
          ) : null}
          {formError ? <ErrorState title="Registration failed" message={formError} /> : null}
          <Button type="submit" className="w-full" disabled={register.isPending}>
            {register.isPending ? 'Creating…' : 'Create account'}
          </Button>
        </form>
        {signInLink}
      </CardContent>
    </Card>
  );
}
