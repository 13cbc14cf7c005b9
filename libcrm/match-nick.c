/*
 * match-nick.c - nicknames and spelling variants of given names (see
 * match.h, crm_match_nick()).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "match.h"
#include "match-int.h"

/* ---- nicknames ----------------------------------------------------- */

/*
 * Diminutive or variant -> canonical given name, sorted by nickname (C
 * locale) for bsearch.  A nickname may have several canonical forms, in
 * consecutive entries.  No canonical form is itself a nickname, so one
 * lookup is always enough.
 */
static const struct nick {
	const char *nick, *canon;
} nicks[] = {
	{ "abbie", "abigail" }, { "abby", "abigail" },
	{ "abe", "abraham" }, { "aggie", "agnes" },
	{ "al", "alan" }, { "al", "albert" },
	{ "al", "alexander" }, { "al", "alfred" },
	{ "alec", "alexander" }, { "alex", "alexander" },
	{ "alex", "alexandra" }, { "alexa", "alexandra" },
	{ "alf", "alfred" }, { "alfie", "alfred" },
	{ "ali", "alison" }, { "allan", "alan" },
	{ "allen", "alan" }, { "allie", "alison" },
	{ "ally", "alison" }, { "andi", "andrea" },
	{ "andy", "andrew" }, { "ange", "angela" },
	{ "angie", "angela" }, { "ann", "anne" },
	{ "anna", "anne" }, { "annie", "anne" },
	{ "archie", "archibald" }, { "art", "arthur" },
	{ "artie", "arthur" }, { "augie", "augustine" },
	{ "babette", "barbara" }, { "babs", "barbara" },
	{ "barb", "barbara" }, { "barbie", "barbara" },
	{ "barney", "barnabas" }, { "barney", "bernard" },
	{ "bart", "bartholomew" }, { "bea", "beatrice" },
	{ "becca", "rebecca" }, { "becky", "rebecca" },
	{ "bee", "beatrice" }, { "bella", "isabella" },
	{ "ben", "benjamin" }, { "benji", "benjamin" },
	{ "benny", "benjamin" }, { "beppe", "giuseppe" },
	{ "bernie", "bernadette" }, { "bernie", "bernard" },
	{ "bert", "albert" }, { "bert", "bertram" },
	{ "bert", "gilbert" }, { "bert", "herbert" },
	{ "bert", "hubert" }, { "bert", "robert" },
	{ "bertie", "albert" }, { "bertie", "bertram" },
	{ "bess", "elizabeth" }, { "bessie", "elizabeth" },
	{ "beth", "elizabeth" }, { "beto", "alberto" },
	{ "beto", "roberto" }, { "betsy", "elizabeth" },
	{ "bette", "elizabeth" }, { "bettie", "elizabeth" },
	{ "betty", "elizabeth" }, { "biddy", "bridget" },
	{ "bill", "william" }, { "billie", "william" },
	{ "billy", "william" }, { "bob", "robert" },
	{ "bobbie", "robert" }, { "bobbie", "roberta" },
	{ "bobby", "robert" }, { "brad", "bradley" },
	{ "bram", "abraham" }, { "bridie", "bridget" },
	{ "cal", "calvin" }, { "cam", "cameron" },
	{ "candy", "candace" }, { "carrie", "caroline" },
	{ "cassie", "cassandra" }, { "cate", "katherine" },
	{ "catherine", "katherine" }, { "cathryn", "katherine" },
	{ "cathy", "katherine" }, { "cece", "cecilia" },
	{ "ceci", "cecilia" }, { "charley", "charles" },
	{ "charlie", "charles" }, { "charlie", "charlotte" },
	{ "chas", "charles" }, { "chaz", "charles" },
	{ "chet", "chester" }, { "chris", "christian" },
	{ "chris", "christina" }, { "chris", "christine" },
	{ "chris", "christopher" }, { "chrissy", "christine" },
	{ "christie", "christina" }, { "christy", "christine" },
	{ "chuck", "charles" }, { "chuy", "jesus" },
	{ "cindy", "cynthia" }, { "cindy", "lucinda" },
	{ "cissy", "cecilia" }, { "clem", "clement" },
	{ "cliff", "clifford" }, { "clint", "clinton" },
	{ "concha", "concepcion" }, { "connie", "constance" },
	{ "curt", "curtis" }, { "cy", "cyrus" },
	{ "dan", "daniel" }, { "dani", "danielle" },
	{ "danny", "daniel" }, { "dave", "david" },
	{ "davey", "david" }, { "davy", "david" },
	{ "deb", "deborah" }, { "debbie", "deborah" },
	{ "debby", "deborah" }, { "debra", "deborah" },
	{ "denny", "dennis" }, { "dick", "richard" },
	{ "dickie", "richard" }, { "dolly", "dorothy" },
	{ "dom", "dominic" }, { "don", "donald" },
	{ "donnie", "donald" }, { "donny", "donald" },
	{ "dot", "dorothy" }, { "dottie", "dorothy" },
	{ "doug", "douglas" }, { "dougie", "douglas" },
	{ "drew", "andrew" }, { "dusty", "dustin" },
	{ "ed", "edmund" }, { "ed", "edward" },
	{ "ed", "edwin" }, { "eddie", "edward" },
	{ "eddy", "edward" }, { "eli", "elias" },
	{ "eli", "elijah" }, { "elinor", "eleanor" },
	{ "elisabeth", "elizabeth" }, { "eliza", "elizabeth" },
	{ "ellie", "eleanor" }, { "elsie", "elizabeth" },
	{ "em", "emily" }, { "emmy", "emily" },
	{ "ernie", "ernest" }, { "fanny", "frances" },
	{ "flo", "florence" }, { "flossie", "florence" },
	{ "fran", "frances" }, { "fran", "francis" },
	{ "frank", "francis" }, { "frank", "franklin" },
	{ "frankie", "francis" }, { "franny", "frances" },
	{ "fred", "alfred" }, { "fred", "frederick" },
	{ "freddie", "frederick" }, { "freddy", "frederick" },
	{ "fritz", "frederick" }, { "gabby", "gabrielle" },
	{ "gabe", "gabriel" }, { "gail", "abigail" },
	{ "gene", "eugene" }, { "geoff", "jeffrey" },
	{ "geoffrey", "jeffrey" }, { "georgie", "george" },
	{ "georgie", "georgina" }, { "gerry", "gerald" },
	{ "gerry", "geraldine" }, { "gianni", "giovanni" },
	{ "gil", "gilbert" }, { "ginger", "virginia" },
	{ "ginny", "virginia" }, { "gordie", "gordon" },
	{ "greg", "gregory" }, { "greta", "margaret" },
	{ "gretchen", "margaret" }, { "gus", "augustus" },
	{ "gus", "gustav" }, { "gwen", "gwendolyn" },
	{ "hal", "harold" }, { "hal", "henry" },
	{ "hank", "henry" }, { "hans", "johannes" },
	{ "harry", "harold" }, { "harry", "henry" },
	{ "hattie", "harriet" }, { "hatty", "harriet" },
	{ "herb", "herbert" }, { "herm", "herman" },
	{ "hetty", "henrietta" }, { "hetty", "hester" },
	{ "howie", "howard" }, { "hughie", "hugh" },
	{ "iggy", "ignatius" }, { "ike", "isaac" },
	{ "isabel", "isabella" }, { "isabelle", "isabella" },
	{ "isobel", "isabella" }, { "izzie", "isabella" },
	{ "izzy", "isabella" }, { "jack", "john" },
	{ "jackie", "jacqueline" }, { "jake", "jacob" },
	{ "jamie", "james" }, { "jan", "janet" },
	{ "janie", "jane" }, { "jed", "jedediah" },
	{ "jeff", "jeffrey" }, { "jen", "jennifer" },
	{ "jenn", "jennifer" }, { "jenny", "jennifer" },
	{ "jerry", "gerald" }, { "jerry", "jeremiah" },
	{ "jerry", "jerome" }, { "jess", "jessica" },
	{ "jessie", "jessica" }, { "jill", "gillian" },
	{ "jim", "james" }, { "jimmie", "james" },
	{ "jimmy", "james" }, { "jo", "joanne" },
	{ "jo", "josephine" }, { "jodi", "judith" },
	{ "joe", "joseph" }, { "joey", "joseph" },
	{ "johnnie", "john" }, { "johnny", "john" },
	{ "jon", "jonathan" }, { "jonny", "jonathan" },
	{ "jos", "joseph" }, { "josef", "joseph" },
	{ "josh", "joshua" }, { "josie", "josephine" },
	{ "judy", "judith" }, { "julie", "julia" },
	{ "kat", "katherine" }, { "kate", "katherine" },
	{ "kath", "katherine" }, { "katharine", "katherine" },
	{ "kathleen", "katherine" }, { "kathrine", "katherine" },
	{ "kathryn", "katherine" }, { "kathy", "katherine" },
	{ "katie", "katherine" }, { "katy", "katherine" },
	{ "kay", "katherine" }, { "ken", "kenneth" },
	{ "kenny", "kenneth" }, { "kim", "kimberly" },
	{ "kimberley", "kimberly" }, { "kit", "christopher" },
	{ "kit", "katherine" }, { "kitty", "katherine" },
	{ "kris", "christine" }, { "kris", "christopher" },
	{ "lalo", "eduardo" }, { "larry", "lawrence" },
	{ "lars", "lawrence" }, { "laurence", "lawrence" },
	{ "len", "leonard" }, { "lenny", "leonard" },
	{ "leo", "leonard" }, { "les", "leslie" },
	{ "les", "lester" }, { "lew", "lewis" },
	{ "lexi", "alexandra" }, { "lexie", "alexandra" },
	{ "liam", "william" }, { "libby", "elizabeth" },
	{ "lil", "lillian" }, { "lilly", "lillian" },
	{ "lily", "lillian" }, { "lisa", "elizabeth" },
	{ "liz", "elizabeth" }, { "liza", "elizabeth" },
	{ "lizzie", "elizabeth" }, { "lizzy", "elizabeth" },
	{ "lola", "dolores" }, { "lolita", "dolores" },
	{ "lottie", "charlotte" }, { "lou", "louis" },
	{ "lou", "louise" }, { "louie", "louis" },
	{ "lupe", "guadalupe" }, { "maddie", "madeline" },
	{ "maddy", "madeline" }, { "madeleine", "madeline" },
	{ "madelyn", "madeline" }, { "madge", "margaret" },
	{ "maggie", "margaret" }, { "mamie", "mary" },
	{ "manda", "amanda" }, { "mandy", "amanda" },
	{ "manny", "emmanuel" }, { "manny", "manuel" },
	{ "marcy", "marcia" }, { "marge", "margaret" },
	{ "marge", "marjorie" }, { "margie", "margaret" },
	{ "mart", "martin" }, { "marty", "martin" },
	{ "marv", "marvin" }, { "matt", "matthew" },
	{ "mattie", "martha" }, { "mattie", "matilda" },
	{ "matty", "matthew" }, { "max", "maximilian" },
	{ "max", "maxwell" }, { "meg", "margaret" },
	{ "mel", "melissa" }, { "mel", "melvin" },
	{ "memo", "guillermo" }, { "mick", "michael" },
	{ "mickey", "michael" }, { "mike", "michael" },
	{ "mikey", "michael" }, { "millie", "mildred" },
	{ "millie", "millicent" }, { "mindy", "melinda" },
	{ "missy", "melissa" }, { "mitch", "mitchell" },
	{ "mo", "maurice" }, { "mo", "morris" },
	{ "moe", "moses" }, { "mollie", "mary" },
	{ "molly", "mary" }, { "monty", "montgomery" },
	{ "mose", "moses" }, { "nacho", "ignacio" },
	{ "nan", "anne" }, { "nannie", "anne" },
	{ "nat", "natalie" }, { "nat", "nathan" },
	{ "nat", "nathaniel" }, { "nate", "nathan" },
	{ "nate", "nathaniel" }, { "ned", "edward" },
	{ "nell", "eleanor" }, { "nell", "helen" },
	{ "nellie", "eleanor" }, { "nellie", "helen" },
	{ "nick", "nicholas" }, { "nicki", "nicole" },
	{ "nicky", "nicholas" }, { "nico", "nicholas" },
	{ "nikki", "nicole" }, { "norm", "norman" },
	{ "ollie", "oliver" }, { "olly", "oliver" },
	{ "oz", "oswald" }, { "ozzy", "oswald" },
	{ "paco", "francisco" }, { "paddy", "patrick" },
	{ "pam", "pamela" }, { "pancho", "francisco" },
	{ "pat", "patricia" }, { "pat", "patrick" },
	{ "patsy", "patricia" }, { "patti", "patricia" },
	{ "patty", "patricia" }, { "peg", "margaret" },
	{ "peggy", "margaret" }, { "penny", "penelope" },
	{ "pepe", "jose" }, { "percy", "percival" },
	{ "pete", "peter" }, { "phil", "philip" },
	{ "phillip", "philip" }, { "pip", "philip" },
	{ "polly", "mary" }, { "prissy", "priscilla" },
	{ "quique", "enrique" }, { "rafa", "rafael" },
	{ "randy", "randall" }, { "randy", "randolph" },
	{ "ray", "raymond" }, { "reba", "rebecca" },
	{ "reg", "reginald" }, { "reggie", "reginald" },
	{ "ricardo", "richard" }, { "rich", "richard" },
	{ "richie", "richard" }, { "rick", "richard" },
	{ "ricky", "richard" }, { "rob", "robert" },
	{ "robbie", "robert" }, { "robby", "robert" },
	{ "rod", "rodney" }, { "rolly", "roland" },
	{ "ron", "ronald" }, { "ronnie", "ronald" },
	{ "ronny", "ronald" }, { "roxy", "roxanne" },
	{ "rudy", "rudolph" }, { "russ", "russell" },
	{ "sadie", "sarah" }, { "sal", "salvatore" },
	{ "sally", "sarah" }, { "sam", "samantha" },
	{ "sam", "samuel" }, { "sammy", "samuel" },
	{ "sandy", "alexander" }, { "sandy", "sandra" },
	{ "sara", "sarah" }, { "sasha", "alexander" },
	{ "sasha", "alexandra" }, { "seb", "sebastian" },
	{ "sepp", "joseph" }, { "sid", "sidney" },
	{ "stacy", "anastasia" }, { "stan", "stanley" },
	{ "steph", "stephanie" }, { "steve", "stephen" },
	{ "steven", "stephen" }, { "stevie", "stephen" },
	{ "stewart", "stuart" }, { "stu", "stuart" },
	{ "sue", "susan" }, { "susie", "susan" },
	{ "suzy", "susan" }, { "sydney", "sidney" },
	{ "tabby", "tabitha" }, { "tad", "thaddeus" },
	{ "tammy", "tamara" }, { "ted", "edward" },
	{ "ted", "theodore" }, { "teddy", "edward" },
	{ "teddy", "theodore" }, { "teresa", "theresa" },
	{ "terri", "theresa" }, { "terry", "terence" },
	{ "terry", "theresa" }, { "tess", "theresa" },
	{ "theo", "theodore" }, { "tilly", "matilda" },
	{ "tim", "timothy" }, { "timmy", "timothy" },
	{ "tina", "christina" }, { "toby", "tobias" },
	{ "tom", "thomas" }, { "tommy", "thomas" },
	{ "toni", "antonia" }, { "tono", "antonio" },
	{ "tony", "anthony" }, { "tricia", "patricia" },
	{ "trish", "patricia" }, { "trixie", "beatrix" },
	{ "trudy", "gertrude" }, { "val", "valerie" },
	{ "vic", "victor" }, { "vicki", "victoria" },
	{ "vicky", "victoria" }, { "vikki", "victoria" },
	{ "vin", "vincent" }, { "vince", "vincent" },
	{ "vinny", "vincent" }, { "vonnie", "yvonne" },
	{ "wally", "walter" }, { "walt", "walter" },
	{ "wendy", "gwendolyn" }, { "wes", "wesley" },
	{ "will", "william" }, { "willie", "william" },
	{ "willy", "william" }, { "winnie", "winifred" },
	{ "wm", "william" }, { "woody", "woodrow" },
	{ "xander", "alexander" }, { "zac", "zachary" },
	{ "zach", "zachary" }, { "zack", "zachary" },
	{ "zak", "zachary" }, { "zander", "alexander" },
	{ "zeke", "ezekiel" },
};

/* Lower-case ASCII copy of name into out[NICK_LEN]; 0 if it cannot be one. */
static int
nick_key(const char *name, char *out)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (i + 1 >= NICK_LEN || c >= 0x80)
			return 0;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[i] = '\0';
	return i > 0;
}

/* strcmp for short keys, inline: lookups are in the hot path of names. */
static int
keycmp(const char *x, const char *y)
{
	while (*x != '\0' && *x == *y) {
		x++;
		y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

int
match_nick_lookup(const char *key, const char **canon, int max)
{
	size_t lo = 0, hi = sizeof(nicks) / sizeof(nicks[0]), mid;
	int n = 0, c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = keycmp(nicks[mid].nick, key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < sizeof(nicks) / sizeof(nicks[0]) &&
	    keycmp(nicks[lo].nick, key) == 0; lo++) {
		if (n < max)
			canon[n] = nicks[lo].canon;
		n++;
	}
	return n;
}

int
crm_match_nick(const char *name, const char **canon, int max)
{
	char key[NICK_LEN];

	if (!nick_key(name, key))
		return 0;
	return match_nick_lookup(key, canon, max);
}

/* The test behind crm_match_nick_same, on lower-case keys. */
int
match_nick_same_keys(const char *ka, const char **ca, int na, const char *kb,
    const char **cb, int nb)
{
	int i, j;

	if (keycmp(ka, kb) == 0)
		return 1;
	for (i = 0; i < na; i++) {
		if (keycmp(ca[i], kb) == 0)
			return 1;
		for (j = 0; j < nb; j++)
			if (keycmp(ca[i], cb[j]) == 0)
				return 1;
	}
	for (j = 0; j < nb; j++)
		if (keycmp(cb[j], ka) == 0)
			return 1;
	return 0;
}

int
crm_match_nick_same(const char *a, const char *b)
{
	char ka[NICK_LEN], kb[NICK_LEN];
	const char *ca[NICK_MAX], *cb[NICK_MAX];
	int na, nb;

	if (strcasecmp(a, b) == 0)
		return 1;
	if (!nick_key(a, ka) || !nick_key(b, kb))
		return 0;
	na = match_nick_lookup(ka, ca, NICK_MAX);
	nb = match_nick_lookup(kb, cb, NICK_MAX);
	return match_nick_same_keys(ka, ca, na < NICK_MAX ? na : NICK_MAX, kb, cb,
	    nb < NICK_MAX ? nb : NICK_MAX);
}
