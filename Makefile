# The two commands. Both install what is missing first (scripts/bootstrap.sh).
.PHONY: demo test bench helpdesk

demo:  ## run the probes against the embedded demo desk and write a scorecard
	bash scripts/demo.sh

test:  ## run the harness's own tests
	bash scripts/test.sh

helpdesk:  ## start a real help desk (Roundup) on loopback and run the email and web-form journeys against it
	bash scripts/helpdesk.sh

bench:  ## run the benchmarks (slow; prints figures)
	bash scripts/bootstrap.sh
	.venv/bin/python bench/email_concurrency.py
