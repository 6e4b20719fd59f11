# The two commands. Both install what is missing first (scripts/bootstrap.sh).
.PHONY: demo test bench

demo:  ## run the probes against the embedded demo desk and write a scorecard
	bash scripts/demo.sh

test:  ## run the harness's own tests
	bash scripts/test.sh

bench:  ## run the benchmarks (slow; prints figures)
	bash scripts/bootstrap.sh
	.venv/bin/python bench/email_concurrency.py
