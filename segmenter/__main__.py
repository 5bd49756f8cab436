from segmenter.cli import main

main()
