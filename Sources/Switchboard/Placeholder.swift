public enum SwitchboardPlaceholder {}
