-- The stage's title as staff read it, kept with each document like its own title: the
-- review copy in the lead's topic names the stage in words, without the deal file.
ALTER TABLE deal_documents ADD COLUMN stage_title TEXT;
