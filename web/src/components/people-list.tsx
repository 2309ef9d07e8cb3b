import { useId, useState, type KeyboardEvent } from 'react';
import { parseUser } from '../lib/format.js';
import { PeopleDatalist, PersonTextInput } from './controls.js';
import type { User } from '../lib/types.js';

/**
 * An ordered list of people (IUser: name, email, id), as rules and policies keep them: each row
 * shows all three and can move up or go; a new person is typed as "Name <email>" (or picked
 * from the people the desk knows, keeping their id), with an optional id of another system.
 */
export function PeopleList(props: {
  id: string;
  label: string;
  value: User[];
  onChange: (users: User[]) => void;
  people: User[];
  invalid?: boolean;
  describedBy?: string;
}) {
  const listId = useId();
  const [text, setText] = useState('');
  const [personId, setPersonId] = useState('');
  const [problem, setProblem] = useState('');
  const add = () => {
    if (!text.trim()) return setProblem('Type a name and email as Name <email@example.com>');
    const user = parseUser(text, props.people);
    if (!user) return setProblem('Type a name and email as Name <email@example.com>');
    const person = personId.trim() ? { ...user, id: personId.trim() } : user;
    if (props.value.some((u) => u.id === person.id || u.email.toLowerCase() === person.email.toLowerCase()))
      return setProblem(`${person.name} is already in the list`);
    setProblem('');
    setText('');
    setPersonId('');
    props.onChange([...props.value, person]);
  };
  const move = (i: number) => {
    const next = [...props.value];
    [next[i - 1], next[i]] = [next[i]!, next[i - 1]!];
    props.onChange(next);
  };
  const onEnter = (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      add();
    }
  };
  return (
    <div className="people-list">
      {props.value.length > 0 ? (
        <ol className="people-rows" aria-label={`${props.label}: ${props.value.length} ${props.value.length === 1 ? 'person' : 'people'}`}>
          {props.value.map((u, i) => (
            <li key={`${u.id}|${u.email}`} className="person-row">
              <span className="person-name">{u.name || u.email}</span>
              <span className="person-email small">{u.email}</span>
              <span className="person-id small mono" title="Id">
                id: {u.id}
              </span>
              <span className="person-actions">
                {i > 0 && (
                  <button type="button" className="icon" aria-label={`Move ${u.name || u.email} up in ${props.label}`} onClick={() => move(i)}>
                    ↑
                  </button>
                )}
                <button
                  type="button"
                  className="icon"
                  aria-label={`Remove ${u.name || u.email} from ${props.label}`}
                  onClick={() => props.onChange(props.value.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </span>
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted small people-empty">Nobody yet.</p>
      )}
      <div className="people-add">
        <PersonTextInput
          id={props.id}
          listId={listId}
          text={text}
          invalid={props.invalid || problem !== ''}
          describedBy={props.describedBy}
          onText={(value) => {
            setText(value);
            setProblem('');
          }}
          onEnter={add}
        />
        <input
          type="text"
          className="people-id"
          value={personId}
          autoComplete="off"
          spellCheck={false}
          placeholder="Id (optional)"
          aria-label={`Id of the person to add to ${props.label} (optional: known people keep theirs, others get their email)`}
          onChange={(e) => setPersonId(e.target.value)}
          onKeyDown={onEnter}
        />
        <button type="button" onClick={add} aria-label={`Add person to ${props.label}`}>
          Add
        </button>
      </div>
      <PeopleDatalist id={listId} people={props.people} />
      {problem && (
        <div className="field-error" role="alert">
          {problem}
        </div>
      )}
    </div>
  );
}
