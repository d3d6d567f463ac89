'use client';

import { useMutation } from '@tanstack/react-query';
import { signIn } from 'next-auth/react';
import { useState, type FormEvent } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field, Input } from '@/components/ui/input';
import { ErrorState } from '@/components/ui/states';

export function PasswordForm({ username }: { username: string }) {
  const trpc = useTRPC();
  const [done, setDone] = useState(false);
  const change = useMutation(trpc.account.changePassword.mutationOptions());
  const errors = fieldErrors(change.error);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const newPassword = String(form.get('newPassword') ?? '');
    setDone(false);
    try {
      await change.mutateAsync({ currentPassword: String(form.get('currentPassword') ?? ''), newPassword });
    } catch {
      return;
    }
    // Every session ended, this one too: sign this browser back in with the new password.
    const result = await signIn('credentials', { username, password: newPassword, redirect: false });
    if (!result || result.error) {
      window.location.assign('/login');
      return;
    }
    formElement.reset();
    setDone(true);
  }

  return (
    <Card className="max-w-md">
      <CardHeader>
        <CardTitle>Change password</CardTitle>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <Field id="currentPassword" label="Current password" error={errors.currentPassword}>
            <Input id="currentPassword" name="currentPassword" type="password" autoComplete="current-password" aria-invalid={!!errors.currentPassword} />
          </Field>
          <Field id="newPassword" label="New password" error={errors.newPassword} hint="At least 10 characters">
            <Input id="newPassword" name="newPassword" type="password" autoComplete="new-password" aria-invalid={!!errors.newPassword} />
          </Field>
          <p className="text-xs text-muted">
            Changing it signs out every other browser and API client. API keys keep working; revoke them on the API keys page if they may have leaked.
          </p>
          {change.error && !Object.keys(errors).length ? <ErrorState title="Could not change the password" message={change.error.message} /> : null}
          {done ? (
            <p role="status" className="text-sm text-gain">
              Password changed. Other sessions were signed out.
            </p>
          ) : null}
          <Button type="submit" disabled={change.isPending}>
            {change.isPending ? 'Changing…' : 'Change password'}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}

export function SignOutEverywhere() {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const signOutAll = useMutation(trpc.account.signOutEverywhere.mutationOptions({ onSuccess: () => window.location.assign('/login') }));
  return (
    <Card className="max-w-md">
      <CardHeader>
        <CardTitle>Sessions</CardTitle>
      </CardHeader>
      <CardContent className="space-y-3 text-sm">
        <p className="text-muted">Sign out of every browser and every API client holding an access or refresh token, including this browser.</p>
        <Button
          variant="danger"
          onClick={() => {
            signOutAll.reset();
            setOpen(true);
          }}
        >
          Sign out everywhere…
        </Button>
      </CardContent>
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        title="Sign out everywhere?"
        description={
          <p>
            Every browser session (this one too) and every access and refresh token of your account stop working now. API keys are not affected. You will need
            to sign in again.
          </p>
        }
        confirmLabel="Sign out everywhere"
        danger
        pending={signOutAll.isPending}
        error={signOutAll.error?.message}
        onConfirm={() => signOutAll.mutate()}
      />
    </Card>
  );
}
