import VrsimCLI

VrsimMain.main()
