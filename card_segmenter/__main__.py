from card_segmenter.cli import main

main()
