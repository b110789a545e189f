# bash completion for lockvm: commands from `lockvm help`, options from `lockvm COMMAND --help`, VM names from `lockvm list -a`.
_lockvm()
{
	local cur=${COMP_WORDS[COMP_CWORD]} i cmd=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--root" -- "$cur"))
		else
			# The command list is lockvm's own, so it never goes stale.
			COMPREPLY=($(compgen -W "$(lockvm help 2>/dev/null | awk '/^  [a-z]/ {print $1}')" -- "$cur"))
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		# The command's own options, from its --help: never stale either.
		COMPREPLY=($(compgen -W "$(lockvm "$cmd" --help 2>/dev/null |
			sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z0-9-]*\).*/\2/p')" -- "$cur"))
		return
	fi
	case $cmd in
	stop | kill | logs | inspect | save | migrate | exec | undefine | start)
		COMPREPLY=($(compgen -W "$(lockvm list -a 2>/dev/null | awk 'NR > 1 {print $1}')" -- "$cur"))
		;;
	*)
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	esac
}
complete -F _lockvm lockvm
