CREATE TABLE "backtest_chart_chunks" (
	"backtest_id" uuid NOT NULL,
	"level" bigint NOT NULL,
	"chunk" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "backtest_chart_chunks_backtest_id_level_chunk_pk" PRIMARY KEY("backtest_id","level","chunk")
);
--> statement-breakpoint
ALTER TABLE "backtests" ADD COLUMN "chart_store" jsonb;--> statement-breakpoint
ALTER TABLE "backtest_chart_chunks" ADD CONSTRAINT "backtest_chart_chunks_backtest_id_backtests_id_fk" FOREIGN KEY ("backtest_id") REFERENCES "public"."backtests"("id") ON DELETE cascade ON UPDATE no action;