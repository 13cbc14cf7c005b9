# bash completion for crm(1) and every crm-* program.
#
# What may come at each word is worked out by `crm __complete` from the
# programs' own option tables (generated from their man pages), so this
# file knows no option of its own.  Source it, or install it (make
# install) as PREFIX/share/bash-completion/completions/crm.

_crm_complete() {
	local i w cword=0 line files=0 crm=crm
	local -a words=() out=()

	# COMP_WORDS splits "--format=json" at the '=': hand crm the option
	# and its value as two words (readline completes what follows '=').
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == = && $i -gt 0 && ${COMP_WORDS[i-1]} == --* ]]; then
			if ((i == COMP_CWORD)); then
				words+=("")
				cword=$((${#words[@]} - 1))
			fi
			continue
		fi
		words+=("$w")
		((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
	((cword < ${#words[@]})) || words+=("")
	# crm-X run by its path: the crm beside it.
	if [[ ${words[0]} == */* && -x ${words[0]%/*}/crm ]]; then
		crm=${words[0]%/*}/crm
	fi
	mapfile -t out < <("$crm" __complete "$cword" "${words[@]}" \
	    2>/dev/null)
	COMPREPLY=()
	for line in "${out[@]}"; do
		if [[ $line == @files ]]; then
			files=1
		else
			COMPREPLY+=("$line")
		fi
	done
	if ((files)); then
		compopt -o filenames 2>/dev/null
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < \
		    <(compgen -f -- "${words[cword]}")
	fi
	return 0
}

complete -F _crm_complete crm $(crm commands 2>/dev/null | sed 's/^/crm-/')
