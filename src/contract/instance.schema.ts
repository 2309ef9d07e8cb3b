import { Type, type Static } from 'typebox';
import { CUSTOM_FIELD_TYPE_KEYS, CUSTOM_FIELD_TYPES } from '../domain/custom-fields.js';
import { ID_MAX, LABEL_MAX, OPTIONS_PER_FIELD, TAG_TEXT_MAX, TAGS_PER_CATEGORY } from '../domain/limits.js';
import { oneOf } from './schema-helpers.js';

/*
 * Request bodies of the custom-field and tag-category routes. The routes validate and document
 * them; the services take their Static<> types, so each shape is written once.
 */

/*
 * Ids given on create keep data moved from another system. UUIDs are the norm, but any
 * letters, digits and dashes are taken: the reference's own PUT example names the field
 * `dcd58c80-xxxx-xxxx-xxxx-xxxxxxxxxxxxxxx`. No `_`: the tags filter splits on it.
 */
const uuid = (description = 'A UUID (or another id of letters, digits and dashes)') =>
  Type.String({ pattern: `^[A-Za-z0-9][A-Za-z0-9-]{0,${ID_MAX - 1}}$`, maxLength: ID_MAX, description });
const Uuid = uuid();
const label = (description?: string) => Type.String({ minLength: 1, maxLength: LABEL_MAX, pattern: '\\S', ...(description ? { description } : {}) });
const Actor = Type.Optional(Type.Unknown({ description: 'The acting user (optional on settings writes)' }));

const Option = Type.Object(
  {
    id: Type.Optional(Uuid),
    key: Type.Optional(uuid('The same as `id` (the original product names it so)')),
    text: Type.String({ minLength: 1, maxLength: LABEL_MAX }),
    deleted: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const FieldType = Type.Union(
  [
    oneOf([...CUSTOM_FIELD_TYPES, ...CUSTOM_FIELD_TYPE_KEYS]),
    Type.Object(
      { key: oneOf(CUSTOM_FIELD_TYPE_KEYS), text: Type.Optional(Type.String({ maxLength: LABEL_MAX })) },
      { description: 'As answered; `text` is ignored' },
    ),
  ],
  {
    description:
      'One of our type names, or a key of the original product (`1_text`, `2_textarea`, `3_date`, `4_toggle`, `5_list`, `6_peoplepicker`, `7_emailpicker`), alone or as `{ key, text }`. `5_list` is a multiple choice list with `isMultiple: true`, else a single choice one.',
  },
);

/** The fields a custom-field write may carry, under either product's names. */
const customFieldWrite = {
  id: Type.Optional(Uuid),
  name: Type.Optional(label()),
  title: Type.Optional(label('The same as `name` (the original product names it so)')),
  type: Type.Optional(FieldType),
  typeName: Type.Optional(
    Type.Unsafe<(typeof CUSTOM_FIELD_TYPES)[number]>({
      type: 'string',
      enum: [...CUSTOM_FIELD_TYPES],
      description: 'Our name of the type, as answered; the same as a `type` given beside it',
    }),
  ),
  isMultiple: Type.Optional(Type.Boolean({ description: 'For `5_list`: multiple choice (true) or single (false); other types have a fixed answer' })),
  required: Type.Optional(Type.Boolean()),
  isMandatory: Type.Optional(Type.Boolean({ description: 'The same as `required`' })),
  options: Type.Optional(Type.Array(Option, { maxItems: OPTIONS_PER_FIELD })),
  deleted: Type.Optional(Type.Boolean()),
  status: Type.Optional(oneOf(['active', 'deleted'] as const)),
  defaultValue: Type.Optional(Type.Null({ description: 'Fields have no default value here: only null is taken' })),
  user: Actor,
};

export const CustomFieldCreate = Type.Object(customFieldWrite, {
  additionalProperties: false,
  description: 'A new custom field: a name (or title) and a type are needed',
});
export const CustomFieldUpdate = Type.Object(
  { ...customFieldWrite, id: Type.Optional(Type.String({ maxLength: ID_MAX, description: 'Ignored: the path names the field' })) },
  { additionalProperties: false },
);

const TagText = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: TAG_TEXT_MAX }), deleted: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const Color = Type.String({ pattern: '^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$', description: 'CSS hex colour' });

export const TagCategoryCreate = Type.Object(
  {
    id: Type.Optional(Uuid),
    instanceId: Type.Optional(Type.String()),
    text: label(),
    color: Type.Optional(Color),
    tags: Type.Optional(Type.Array(TagText, { maxItems: TAGS_PER_CATEGORY, description: 'Deleted ones count too' })),
    deleted: Type.Optional(Type.Boolean()),
    user: Actor,
  },
  { additionalProperties: false },
);
export const TagCategoryUpdate = Type.Partial(TagCategoryCreate, { additionalProperties: false });

export type CustomFieldInput = Static<typeof CustomFieldCreate>;
export type CustomFieldPatch = Static<typeof CustomFieldUpdate>;
export type TagCategoryInput = Static<typeof TagCategoryCreate>;
export type TagCategoryPatch = Static<typeof TagCategoryUpdate>;
