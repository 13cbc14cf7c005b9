/* Unit tests for libcrm/account: company name keys, domains, free mail. */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "tap.h"

static struct crm_buf b = CRM_BUF_INIT(4096);
static struct crm_error err;

static void
key(const char *in, const char *want)
{
	crm_buf_reset(&b);
	is_str(crm_account_name_key(in, &b, &err) == 0 ? crm_buf_str(&b) :
	    err.msg, want, in);
}

static void
domain(const char *in, const char *want)
{
	int rc;

	crm_buf_reset(&b);
	rc = crm_account_domain(in, &b, &err);
	if (want == NULL)
		ok(rc < 0 && err.code == CRM_EDATA, "domain '%s' refused (%s)",
		    in, err.msg);
	else
		is_str(rc == 0 ? crm_buf_str(&b) : err.msg, want, in);
}

int
main(void)
{
	/* Legal forms, dotted or not, several at the end. */
	key("Acme Ltd", "acme");
	key("ACME Limited", "acme");
	key("Acme, Inc.", "acme");
	key("Acme Corp.", "acme");
	key("Acme GmbH & Co. KG", "acme");
	key("Acme S.A.", "acme");
	key("Acme SA", "acme");
	key("Acme S.à r.l.", "acme");
	key("Acme B.V.", "acme");
	key("Acme Pty Ltd", "acme");
	key("Acme Sp. z o.o.", "acme");
	key("Acme Holdings PLC", "acme holdings");
	/* Accents, case, punctuation; "the" in front, "and" between. */
	key("Société Générale S.A.", "societe generale");
	key("The Müller Company", "muller");
	key("Smith & Sons Ltd", "smith sons");
	key("Smith and Sons Limited", "smith sons");
	key("Procter & Gamble Co.", "procter gamble");
	/* A form inside a word or the name itself stays. */
	key("Gasco", "gasco");
	key("Coastal Ltd", "coastal");
	key("Limited", "limited");
	key("Inc", "inc");
	key("AB InBev", "ab inbev");

	domain("acme.com", "acme.com");
	domain("  WWW.Acme.COM. ", "acme.com");
	domain("https://www.acme.co.uk/about?x=1", "acme.co.uk");
	domain("http://shop.acme.de:8080/", "shop.acme.de");
	domain("ann@Acme.com", "acme.com");
	domain("xn--bcher-kva.example", "xn--bcher-kva.example");
	domain("localhost", NULL);
	domain("not a domain", NULL);
	domain("acme..com", NULL);
	domain("-acme.com", NULL);
	domain("acme-.com", NULL);

	ok(crm_account_freemail("gmail.com"), "gmail.com is free mail");
	ok(crm_account_freemail("zoho.com"), "zoho.com is free mail");
	ok(crm_account_freemail("126.com"), "126.com is free mail");
	ok(!crm_account_freemail("acme.com"), "acme.com is not");
	ok(!crm_account_freemail("mail.acme.com"), "mail.acme.com is not");
	crm_buf_release(&b);
	return tap_done();
}
