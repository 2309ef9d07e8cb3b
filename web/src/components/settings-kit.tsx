import { useState, type ReactNode } from 'react';
import { ApiError, client, errorMessage, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import type { FieldError, SettingsUpdate } from '../lib/types.js';

/** A settings card, named by its heading, that the settings menu links to by id. */
export function Section(props: { id: string; title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <section id={props.id} className="card" aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`} tabIndex={-1}>
        {props.title}
      </h2>
      {props.intro && <p className="muted">{props.intro}</p>}
      {props.children}
    </section>
  );
}

/**
 * PUT /instance, then a fresh instance for the whole app. Errors come back by field (the first
 * segment after /body/) in `errors`, and as the server sent them in `problems`.
 */
export function useSettingsSave() {
  const { reloadInstance, notify } = useApp();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [problems, setProblems] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const save = async (patch: SettingsUpdate, message = 'Settings saved') => {
    setBusy(true);
    setErrors({});
    setProblems([]);
    try {
      await send(client.PUT('/instance', { body: patch }));
      await reloadInstance();
      notify(message);
      return true;
    } catch (e) {
      const byField: Record<string, string[]> = {};
      if (e instanceof ApiError && e.errors.length) {
        for (const fe of e.errors) (byField[fe.path.replace(/^\/body\//, '').split('/')[0] ?? ''] ??= []).push(fe.message);
        setProblems(e.errors);
      } else {
        byField[''] = [errorMessage(e)];
        setProblems([{ path: '', message: errorMessage(e) }]);
      }
      setErrors(byField);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { save, errors, busy, setErrors, problems, setProblems };
}

export function FormError({ errors }: { errors: Record<string, string[]> }) {
  const all = Object.entries(errors).flatMap(([k, v]) => v.map((m) => (k ? `${k}: ${m}` : m)));
  return all.length ? (
    <div className="alert error" role="alert">
      {all.join(' · ')}
    </div>
  ) : null;
}
