// G1 (@google/genai 1.33.0): the Batch API through ai.batches and ai.files
// (reference batch-api.md): inline and file batches polled until done, list
// paging, cancel, delete, files.download of the results, per-line errors
// and an expired batch. The tests are common/batches.js, run with this SDK.
import { GoogleGenAI, ApiError } from '@google/genai';
import { batchSuite } from '../../common/batches.js';

batchSuite({ GoogleGenAI, ApiError, gen: 'g1' });
