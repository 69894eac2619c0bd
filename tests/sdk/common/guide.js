// guide.js: the pieces of the guide's examples (interactions-api-guide.txt;
// interactions-api.md section 9 lists each body), shared by both generations.

export const MODEL = 'gemini-2.5-flash';
export const PRO3 = 'gemini-3-pro-preview';
export const IMAGE_MODEL = 'gemini-3-pro-image-preview';
export const AGENT = 'deep-research-pro-preview-12-2025';

export const JOKE = 'Tell me a short joke about programming.';
export const PHIL = 'Hi, my name is Phil.';
export const WHAT_NAME = 'What is my name?';
export const SPAIN_1 = 'What are the three largest cities in Spain?';
export const SPAIN_MODEL = 'The three largest cities in Spain are Madrid, Barcelona, and Valencia.';
export const SPAIN_2 = 'What is the most famous landmark in the second one?';
export const TPU = 'Research the history of the Google TPUs with a focus on 2025 and 2026.';
export const KNIGHT = 'Tell me a story about a brave knight.';
export const ENTANGLEMENT = 'Explain quantum entanglement in simple terms.';
export const CITY = 'Generate an image of a futuristic city.';
export const MODERATE =
  "Moderate the following content: 'Congratulations! You've won a free cruise. Click here to claim your prize: www.definitely-not-a-scam.com'";
export const REMOTE_IMAGE_URI = 'https://github.com/philschmid/gemini-samples/raw/refs/heads/main/assets/cats-and-dogs.jpg';
export const WIKI = 'https://www.wikipedia.org/';

export const weatherTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Gets the weather for a given location.',
  parameters: {
    type: 'object',
    properties: {
      location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
    },
    required: ['location'],
  },
};

export const scheduleTool = {
  type: 'function',
  name: 'schedule_meeting',
  description: 'Schedules a meeting with specified attendees at a given time and date.',
  parameters: {
    type: 'object',
    properties: {
      attendees: { type: 'array', items: { type: 'string' } },
      date: { type: 'string', description: 'Date of the meeting (e.g., 2024-07-29)' },
      time: { type: 'string', description: 'Time of the meeting (e.g., 15:00)' },
      topic: { type: 'string', description: 'The subject of the meeting.' },
    },
    required: ['attendees', 'date', 'time', 'topic'],
  },
};
export const SCHEDULE = 'Schedule a meeting for 2025-11-01 at 10 am with Peter and Amir about the Next Gen API.';

export const mcpServer = {
  type: 'mcp_server',
  name: 'weather_service',
  url: 'https://gemini-api-demos.uc.r.appspot.com/mcp',
};

// Structured output (guide "Structured output"): the Python variant, as
// pydantic's ModerationResult.model_json_schema() prints it ($defs, anyOf,
// $ref, title, enum).
export const moderationPydantic = {
  $defs: {
    NotSpamDetails: {
      properties: {
        summary: { description: 'A brief summary of the content.', title: 'Summary', type: 'string' },
        is_safe: { description: 'Whether the content is safe for all audiences.', title: 'Is Safe', type: 'boolean' },
      },
      required: ['summary', 'is_safe'],
      title: 'NotSpamDetails',
      type: 'object',
    },
    SpamDetails: {
      properties: {
        reason: { description: 'The reason why the content is considered spam.', title: 'Reason', type: 'string' },
        spam_type: { enum: ['phishing', 'scam', 'unsolicited promotion', 'other'], title: 'Spam Type', type: 'string' },
      },
      required: ['reason', 'spam_type'],
      title: 'SpamDetails',
      type: 'object',
    },
  },
  properties: {
    decision: {
      anyOf: [{ $ref: '#/$defs/SpamDetails' }, { $ref: '#/$defs/NotSpamDetails' }],
      title: 'Decision',
    },
  },
  required: ['decision'],
  title: 'ModerationResult',
  type: 'object',
};

// The JavaScript variant, as zod's z.toJSONSchema(moderationSchema) prints it.
export const moderationZod = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    decision: {
      anyOf: [
        {
          description: 'Details for content classified as spam.',
          type: 'object',
          properties: {
            reason: { description: 'The reason why the content is considered spam.', type: 'string' },
            spam_type: { description: 'The type of spam.', type: 'string', enum: ['phishing', 'scam', 'unsolicited promotion', 'other'] },
          },
          required: ['reason', 'spam_type'],
          additionalProperties: false,
        },
        {
          description: 'Details for content classified as not spam.',
          type: 'object',
          properties: {
            summary: { description: 'A brief summary of the content.', type: 'string' },
            is_safe: { description: 'Whether the content is safe for all audiences.', type: 'boolean' },
          },
          required: ['summary', 'is_safe'],
          additionalProperties: false,
        },
      ],
    },
  },
  required: ['decision'],
  additionalProperties: false,
};

// The REST variant: decision as one nested object.
export const moderationRest = {
  type: 'object',
  properties: {
    decision: {
      type: 'object',
      properties: {
        reason: { type: 'string', description: 'The reason why the content is considered spam.' },
        spam_type: { type: 'string', description: 'The type of spam.' },
      },
      required: ['reason', 'spam_type'],
    },
  },
  required: ['decision'],
};

// "Combining tools and structured output" (JS/REST variant).
export const euroSchema = {
  type: 'object',
  properties: { winning_team: { type: 'string' }, score: { type: 'string' } },
};

// Not from the guide: the keywords a batch extraction schema uses, to check the
// generator beyond the examples (enum, const, integer bounds, array bounds,
// nullable, recursion through $ref).
export const richSchema = {
  type: 'object',
  properties: {
    invoice_id: { type: 'string', minLength: 3, maxLength: 12 },
    currency: { type: 'string', enum: ['EUR', 'USD', 'GBP'] },
    kind: { const: 'invoice' },
    total_cents: { type: 'integer', minimum: 0, maximum: 1000000 },
    paid: { type: 'boolean' },
    note: { type: ['string', 'null'] },
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: 4,
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1, maximum: 9 } },
        required: ['sku', 'qty'],
        additionalProperties: false,
      },
    },
    category: { $ref: '#/$defs/node' },
  },
  required: ['invoice_id', 'currency', 'kind', 'total_cents', 'paid', 'note', 'lines', 'category'],
  additionalProperties: false,
  $defs: {
    node: {
      type: 'object',
      properties: { name: { type: 'string' }, children: { type: 'array', maxItems: 2, items: { $ref: '#/$defs/node' } } },
      required: ['name'],
    },
  },
};
