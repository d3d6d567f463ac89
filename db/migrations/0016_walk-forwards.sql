CREATE TABLE "walk_forwards" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"strategy_id" uuid NOT NULL,
	"base_params" jsonb NOT NULL,
	"spec" jsonb NOT NULL,
	"windows" jsonb NOT NULL,
	"fold_job_ids" uuid[] NOT NULL,
	"fold_results" jsonb NOT NULL,
	"result" jsonb,
	"job_id" uuid,
	"strategy_type" text NOT NULL,
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"timeframe" text NOT NULL,
	"start_time" bigint NOT NULL,
	"end_time" bigint NOT NULL,
	"initial_capital" double precision NOT NULL,
	"fee_rate" double precision NOT NULL,
	"slippage" double precision NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"progress" real DEFAULT 0 NOT NULL,
	"error" text,
	"engine_version" integer NOT NULL,
	"script_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "walk_forwards" ADD CONSTRAINT "walk_forwards_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "walk_forwards" ADD CONSTRAINT "walk_forwards_strategy_id_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."strategies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "walk_forwards" ADD CONSTRAINT "walk_forwards_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "walk_forwards_user_idx" ON "walk_forwards" USING btree ("user_id","created_at");