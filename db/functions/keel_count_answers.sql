-- Trigger chat_messages_count_answers (migration 0015). Chat answers per tenant and hour (of the
-- answer's creation): an answer counts as finished once it is no longer streaming, complete when
-- complete, answered when complete or stopped by the person (a failure is no answer:
-- lib/chat/feedback-counts.ts counts the same way), corrected when answered and given a
-- thumbs-down or a correction. Each change moves the answer's contribution; a delete (or a
-- cascade) takes it back by UPDATE only, so a tenant being deleted is never inserted into again.
CREATE OR REPLACE FUNCTION public.keel_count_answers()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  old_counts integer[] := ARRAY[0, 0, 0, 0];
  new_counts integer[] := ARRAY[0, 0, 0, 0];
  old_hour timestamptz;
  new_hour timestamptz;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.role = 'assistant' THEN
    old_hour := date_trunc('hour', OLD.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    old_counts := ARRAY[(OLD.status <> 'streaming')::int, (OLD.status = 'complete')::int, (OLD.status IN ('complete', 'stopped'))::int,
                        (OLD.status IN ('complete', 'stopped') AND (coalesce(OLD.rating, 0) = -1 OR OLD.correction IS NOT NULL))::int];
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.role = 'assistant' THEN
    new_hour := date_trunc('hour', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    new_counts := ARRAY[(NEW.status <> 'streaming')::int, (NEW.status = 'complete')::int, (NEW.status IN ('complete', 'stopped'))::int,
                        (NEW.status IN ('complete', 'stopped') AND (coalesce(NEW.rating, 0) = -1 OR NEW.correction IS NOT NULL))::int];
  END IF;
  IF old_hour IS NOT DISTINCT FROM new_hour AND old_counts = new_counts THEN
    RETURN NULL;
  END IF;
  IF old_hour IS NOT NULL AND old_counts <> ARRAY[0, 0, 0, 0] THEN
    UPDATE chat_answer_hours SET finished = finished - old_counts[1], complete = complete - old_counts[2],
                                 answered = answered - old_counts[3], corrected = corrected - old_counts[4]
    WHERE tenant_id = OLD.tenant_id AND hour = old_hour;
  END IF;
  IF new_hour IS NOT NULL AND new_counts <> ARRAY[0, 0, 0, 0] THEN
    INSERT INTO chat_answer_hours AS c (tenant_id, hour, finished, complete, answered, corrected)
    VALUES (NEW.tenant_id, new_hour, new_counts[1], new_counts[2], new_counts[3], new_counts[4])
    ON CONFLICT (tenant_id, hour) DO UPDATE SET
      finished = c.finished + excluded.finished, complete = c.complete + excluded.complete,
      answered = c.answered + excluded.answered, corrected = c.corrected + excluded.corrected;
  END IF;
  RETURN NULL;
END $function$;
