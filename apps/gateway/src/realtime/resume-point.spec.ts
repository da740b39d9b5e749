import { resumePoint } from './events.controller.js';

describe('resumePoint', () => {
  const position = { storeId: '3f9a0c21d4', last: 40, oldest: 21 };

  it('resumes right after an id this store issued, named or bare, without a notice', () => {
    expect(resumePoint('3f9a0c21d4-30', position)).toEqual({ after: 30 });
    expect(resumePoint('30', position)).toEqual({ after: 30 });
    expect(resumePoint('3f9a0c21d4-40', position)).toEqual({ after: 40 });
    expect(resumePoint('3f9a0c21d4-20', position)).toEqual({ after: 20 });
    expect(resumePoint('0', position)).toEqual({ after: 0 });
  });

  it('replays every event kept, with a notice, for an id of another store, a newer one or a malformed one', () => {
    for (const raw of ['77c0e1b2aa-30', '3f9a0c21d4-41', '41', 'x', '3f9a0c21d4-', '-30', '3F9A0C21D4-30', '1'.repeat(16)]) {
      expect(resumePoint(raw, position)).toEqual({ after: 0, notice: expect.objectContaining({ object: 'stream_notice', code: 'unknown_last_event_id', last_event_id: raw, oldest_sequence: 21 }) });
    }
    expect(resumePoint('7'.repeat(500), position).notice?.last_event_id).toHaveLength(100);
  });

  it('says so when events after the id are no longer kept', () => {
    expect(resumePoint('3f9a0c21d4-19', position)).toEqual({ after: 0, notice: expect.objectContaining({ code: 'events_expired', oldest_sequence: 21 }) });
    expect(resumePoint('3f9a0c21d4-39', { ...position, oldest: undefined })).toEqual({ after: 0, notice: expect.objectContaining({ code: 'events_expired', oldest_sequence: null }) });
    expect(resumePoint('3f9a0c21d4-40', { ...position, oldest: undefined })).toEqual({ after: 40 });
  });
});
