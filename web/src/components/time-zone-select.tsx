import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { searchZones, timeZones, zoneOffset } from '../lib/engine.js';

/**
 * An IANA time zone picker: a combobox (ARIA 1.2 pattern) over `Intl.supportedValuesOf('timeZone')`.
 * Type any part of the name ("new york", "paris", "+05:30") to narrow the list; arrows move,
 * Enter picks, Escape puts back the saved zone. Only a zone of the list can be chosen.
 */
export function TimeZoneSelect(props: { id: string; value: string; onChange: (zone: string) => void; invalid?: boolean; describedBy?: string }) {
  const zones = useMemo(() => timeZones(props.value), [props.value]);
  const listId = useId();
  const [text, setText] = useState(props.value);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);
  useEffect(() => setText(props.value), [props.value]);

  // While the saved zone is shown, the whole list is offered (starting at that zone).
  const filtering = text.trim() !== '' && text !== props.value;
  const matches = useMemo(() => (filtering ? searchZones(zones, text) : zones), [zones, text, filtering]);
  const optionId = (i: number) => `${listId}-o${i}`;

  useEffect(() => {
    if (!open) return;
    listRef.current?.querySelector(`[id="${optionId(active)}"]`)?.scrollIntoView({ block: 'nearest' });
    // Deliberately not on `optionId`: it is a new function each render, and the scroll follows `active` only.
  }, [open, active]);

  const openList = () => {
    if (open) return;
    setActive(Math.max(0, filtering ? 0 : matches.indexOf(props.value)));
    setOpen(true);
  };
  const pick = (zone: string) => {
    setOpen(false);
    setText(zone);
    if (zone !== props.value) props.onChange(zone);
  };
  const settle = () => {
    setOpen(false);
    const exact = zones.find((z) => z.toLowerCase() === text.trim().toLowerCase());
    if (exact) pick(exact);
    else setText(props.value);
  };

  return (
    <div className="combobox">
      <div className="inline">
        <input
          id={props.id}
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={open && matches.length ? optionId(active) : undefined}
          aria-invalid={props.invalid || undefined}
          aria-describedby={props.describedBy}
          autoComplete="off"
          spellCheck={false}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setActive(0);
            setOpen(true);
          }}
          onClick={openList}
          onBlur={settle}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              if (!open) return openList();
              const by = e.key === 'ArrowDown' ? 1 : -1;
              setActive((a) => Math.min(Math.max(a + by, 0), matches.length - 1));
            } else if (e.key === 'PageDown' || e.key === 'PageUp') {
              if (!open) return;
              e.preventDefault();
              setActive((a) => Math.min(Math.max(a + (e.key === 'PageDown' ? 10 : -10), 0), matches.length - 1));
            } else if (e.key === 'Enter') {
              if (open && matches[active]) {
                e.preventDefault();
                pick(matches[active]!);
              } else if (open) {
                e.preventDefault();
              }
            } else if (e.key === 'Escape') {
              if (open || text !== props.value) {
                e.preventDefault();
                e.stopPropagation();
              }
              setOpen(false);
              setText(props.value);
            } else if (e.key === 'Tab' && open && filtering && matches[active]) {
              pick(matches[active]!);
            }
          }}
        />
        <button
          type="button"
          tabIndex={-1}
          aria-label="Show the time zones"
          aria-controls={listId}
          aria-expanded={open}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => {
            document.getElementById(props.id)?.focus();
            if (open) setOpen(false);
            else openList();
          }}
        >
          ▾
        </button>
      </div>
      <ul id={listId} ref={listRef} role="listbox" aria-label="Time zones" className="combobox-list" hidden={!open}>
        {open &&
          matches.map((zone, i) => (
            <li
              key={zone}
              id={optionId(i)}
              role="option"
              aria-selected={zone === props.value}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => e.preventDefault()}
              onMouseMove={() => setActive(i)}
              onClick={() => pick(zone)}
            >
              <span>{zone.replace(/_/g, ' ')}</span> <span className="muted small">{zoneOffset(zone)}</span>
            </li>
          ))}
        {open && matches.length === 0 && (
          <li role="option" aria-selected={false} aria-disabled="true" className="muted">
            No time zone matches “{text}”
          </li>
        )}
      </ul>
      <span className="visually-hidden" aria-live="polite">
        {open && filtering ? `${matches.length === 60 ? 'Many' : matches.length} time zones match` : ''}
      </span>
    </div>
  );
}
