import type { FieldErrors } from './errors.js';
import { TAGS_PER_CATEGORY } from './limits.js';
import type { ITag } from './ticket.js';

export interface TagCategory {
  id: string;
  text: string;
  color: string;
  tags: { text: string; deleted: boolean }[];
  deleted: boolean;
}

/** The key the `tags` list filter matches: `tagCategoryId_text`, text compared case-insensitively. */
export const tagKey = (tag: ITag): string => `${tag.tagCategoryId}_${tag.text.toLowerCase()}`;

/**
 * Checks a ticket's tags: each category must exist and not be deleted; texts are trimmed and
 * de-duplicated; a text new to a category must fit in it (TAGS_PER_CATEGORY, deleted tags
 * included; a deleted tag used again takes no new room). Returns the tags and, per category,
 * the texts it does not list yet.
 */
export function resolveTicketTags(
  categories: readonly TagCategory[],
  input: readonly ITag[],
  path: string,
  errors: FieldErrors,
): { tags: ITag[]; additions: Map<string, string[]> } {
  const tags: ITag[] = [];
  const seen = new Set<string>();
  const additions = new Map<string, string[]>();
  input.forEach((tag, index) => {
    const text = tag.text.trim();
    const category = categories.find((c) => c.id === tag.tagCategoryId);
    if (!category) return errors.add(`${path}/${index}/tagCategoryId`, `unknown tag category "${tag.tagCategoryId}"`);
    if (category.deleted) return errors.add(`${path}/${index}/tagCategoryId`, `tag category "${category.text}" is deleted`);
    if (text === '') return errors.add(`${path}/${index}/text`, 'a tag needs a text');
    const normalized = { tagCategoryId: category.id, text };
    if (seen.has(tagKey(normalized))) return;
    seen.add(tagKey(normalized));
    const existing = category.tags.find((t) => t.text.toLowerCase() === text.toLowerCase());
    if (!existing || existing.deleted) {
      const added = additions.get(category.id) ?? [];
      const size = category.tags.length + added.filter((a) => !category.tags.some((t) => t.text.toLowerCase() === a.toLowerCase())).length;
      if (!existing && size >= TAGS_PER_CATEGORY) {
        return errors.add(`${path}/${index}/text`, `tag category "${category.text}" is full (${TAGS_PER_CATEGORY} tags); use one of its tags`);
      }
      additions.set(category.id, [...added, existing?.text ?? text]);
    }
    tags.push({ tagCategoryId: category.id, text: existing?.text ?? text });
  });
  return { tags, additions };
}
