-- Which versions of the platform's prompts served each turn, and the prompt variant that chose them.
ALTER TABLE "turn_traces" ADD COLUMN "prompts" JSONB NOT NULL DEFAULT '{}';
