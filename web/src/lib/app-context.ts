import { createContext, useContext } from 'react';
import type { Instance, Person, Session, TagCategory, User } from './types.js';

export interface AppState {
  session: Session;
  instance: Instance;
  tagCategories: TagCategory[];
  /** People the desk knows: the signed-in user, the instance's agents and admins, assignees, idle-ticket assignees. */
  people: User[];
  /** The people of the instance (accounts), with their roles. */
  members: Person[];
  reloadInstance(): Promise<void>;
  reloadTags(): Promise<void>;
  reloadPeople(): Promise<void>;
  setSession(session: Session | null): void;
  notify(message: string, kind?: 'ok' | 'error'): void;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside the signed-in app');
  return state;
}
